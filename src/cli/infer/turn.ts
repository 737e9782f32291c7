// One chat turn: the user's text joins the conversation, the answer streams to a printer, and the
// conversation keeps the answer (also a partial one cut by Ctrl-C, so the chat can go on from it).
import { HearthError, isHearthError } from "../../errors/HearthError.ts";
import type { GenerateOptions, GenerationResult, ToolCall } from "../../sdk/types.ts";
import type { ChatModel } from "./chatModel.ts";
import type { Conversation } from "./conversation.ts";
import type { AnswerPrinter } from "./render.ts";

export interface TurnOutcome {
  input: string;
  output: string;
  reasoning: string;
  toolCalls: ToolCall[];
  /** absent when the turn failed before the engine answered */
  result?: GenerationResult;
  error?: HearthError;
  /** stopped by the user (Ctrl-C) */
  aborted: boolean;
}

export async function runTurn(
  model: ChatModel,
  conversation: Conversation,
  input: string,
  options: GenerateOptions,
  printer?: AnswerPrinter,
): Promise<TurnOutcome> {
  const content = model.userContent(input);
  const outcome: TurnOutcome = { input, output: "", reasoning: "", toolCalls: [], aborted: false };
  try {
    const stream = model.chat([...conversation.messages, { role: "user", content }], options);
    for await (const c of stream) {
      if (c.type === "text") outcome.output += c.text;
      else if (c.type === "reasoning") outcome.reasoning += c.text;
      else outcome.toolCalls.push(c.call);
      printer?.chunk(c);
    }
    const r = await stream.result;
    outcome.result = r;
    // the result is the authority (a stop string may have trimmed what streamed)
    outcome.output = r.text;
    outcome.reasoning = r.reasoning ?? outcome.reasoning;
    outcome.toolCalls = r.toolCalls ?? outcome.toolCalls;
    outcome.aborted = r.finishReason === "abort";
  } catch (e) {
    const err = isHearthError(e) ? e : new HearthError("internal", e instanceof Error ? e.message : String(e), { cause: e });
    if (err.code === "aborted" || options.signal?.aborted) outcome.aborted = true;
    else outcome.error = err;
  } finally {
    printer?.end();
  }
  if (!outcome.error && (outcome.output || outcome.toolCalls.length > 0 || !outcome.aborted)) {
    conversation.addTurn(content, outcome.output);
  }
  return outcome;
}
