// Non-interactive chat: each prompt (-p, -i FILE, stdin) is one turn of the same conversation.
// Plain mode streams each answer to stdout (reasoning and the speed line to stderr, so stdout is
// just the answers); --json writes one JSON line per turn for scripts.
import pc from "picocolors";
import type { GenerateOptions } from "../../sdk/types.ts";
import type { ChatModel } from "./chatModel.ts";
import { Conversation } from "./conversation.ts";
import { allPrompts, type PromptSources } from "./prompts.ts";
import { AnswerPrinter, profileLine } from "./render.ts";
import { runTurn, type TurnOutcome } from "./turn.ts";

export interface BatchChatOptions {
  sources: PromptSources;
  generate: GenerateOptions;
  system?: string;
  json?: boolean;
  hideThink?: boolean;
}

/** The JSON line of one turn (snake_case, as the OpenAI API and scripts expect). */
export function turnJson(t: TurnOutcome) {
  return {
    input: t.input,
    output: t.output,
    reasoning: t.reasoning || null,
    tool_calls: t.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
    finish_reason: t.result?.finishReason ?? (t.aborted ? "abort" : null),
    usage: t.result ? { prompt_tokens: t.result.usage.promptTokens, completion_tokens: t.result.usage.completionTokens } : null,
    profile: t.result?.profile ?? null,
    error: t.error ? { code: t.error.code, message: t.error.message, hint: t.error.hint ?? null } : null,
  };
}

/** Runs every prompt; returns how many turns failed (the caller turns that into the exit code). */
export async function runBatchChat(model: ChatModel, o: BatchChatOptions): Promise<number> {
  const conversation = new Conversation(o.system);
  let failed = 0;
  // (a reader that goes away, `| head -1`, ends the process quietly: cli/main.ts handles EPIPE)
  for await (const input of allPrompts(o.sources)) {
    failed += await oneTurn(model, conversation, input, o);
  }
  return failed;
}

/** One prompt: streamed or as a JSON line; returns 1 if it failed. */
async function oneTurn(model: ChatModel, conversation: Conversation, input: string, o: BatchChatOptions): Promise<number> {
  const printer = o.json ? undefined : new AnswerPrinter({ out: process.stdout, reasoningOut: process.stderr, hideThink: o.hideThink });
  const t = await runTurn(model, conversation, input, o.generate, printer);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(turnJson(t))}\n`);
  } else if (t.error) {
    process.stderr.write(`${pc.red("error:")} ${t.error.line}\n`);
  } else if (t.result) {
    process.stderr.write(`${pc.dim(profileLine(t.result))}\n`);
  }
  return t.error ? 1 : 0;
}
