// Our results -> OpenAI Responses objects: the response with its output items (reasoning, message,
// function_call), and the event stream (response.created, output_item.added, content deltas,
// function_call_arguments.delta, output_item.done, response.completed or response.incomplete).
import { randomBytes } from "node:crypto";
import type { GenerationResult } from "../../model/tasks/text.ts";
import type { SseStream } from "../sse.ts";
import type { TextStreamEvent } from "../textStream.ts";
import { toOpenAIError } from "../errors.ts";
import { nowSec } from "../openai/responses.ts";
import type { ResponsesBody } from "./request.ts";

export const itemId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

type Item = Record<string, unknown>;

/** The request's settings echoed on the response object, as OpenAI does. */
export interface ResponseMeta {
  id: string;
  created: number;
  body: ResponsesBody;
}

function shell(m: ResponseMeta, status: "in_progress" | "completed" | "incomplete", output: Item[], r?: GenerationResult) {
  const b = m.body;
  return {
    id: m.id,
    object: "response",
    created_at: m.created,
    status,
    error: null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    model: b.model,
    output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: b.reasoning?.effort ?? null, summary: b.reasoning?.summary ?? null },
    store: false,
    temperature: b.temperature ?? 1,
    text: { format: b.text?.format ?? { type: "text" } },
    tool_choice: b.tool_choice ?? "auto",
    tools: b.tools ?? [],
    top_p: b.top_p ?? 1,
    truncation: "disabled",
    usage: r ? usageOf(r) : null,
    metadata: b.metadata ?? {},
  };
}

function usageOf(r: GenerationResult) {
  return {
    input_tokens: r.usage.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: r.usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: r.usage.promptTokens + r.usage.completionTokens,
  };
}

const statusOf = (r: GenerationResult) => (r.finishReason === "length" && !r.toolCalls?.length ? "incomplete" : "completed");

const reasoningItem = (id: string, text: string, status = "completed"): Item => ({
  id,
  type: "reasoning",
  summary: [],
  content: [{ type: "reasoning_text", text }],
  status,
});
const outputText = (text: string) => ({ type: "output_text", text, annotations: [], logprobs: [] });
const messageItem = (id: string, text: string | undefined, status = "completed"): Item => ({
  id,
  type: "message",
  status,
  role: "assistant",
  content: text === undefined ? [] : [outputText(text)],
});
const callItem = (id: string, callId: string, name: string, args: string, status = "completed"): Item => ({
  id,
  type: "function_call",
  status,
  call_id: callId,
  name,
  arguments: args,
});

export function responseObject(m: ResponseMeta, r: GenerationResult) {
  const output: Item[] = [];
  if (r.reasoning) output.push(reasoningItem(itemId("rs"), r.reasoning));
  if (r.text || !r.toolCalls?.length) output.push(messageItem(itemId("msg"), r.text));
  for (const c of r.toolCalls ?? []) output.push(callItem(itemId("fc"), c.id, c.name, c.arguments));
  return shell(m, statusOf(r), output, r);
}

/** Streams one response as the Responses API's events; resolves with the result (undefined when it failed). */
export async function streamResponse(
  sse: SseStream,
  events: AsyncGenerator<TextStreamEvent>,
  first: IteratorResult<TextStreamEvent>,
  m: ResponseMeta,
): Promise<GenerationResult | undefined> {
  let seq = 0;
  const send = (type: string, fields: Record<string, unknown>) => sse.sendEvent(type, { type, sequence_number: seq++, ...fields });
  const output: Item[] = [];
  let open: { kind: "reasoning" | "message" | "call"; index: number; id: string; text: string; callId?: string; name?: string } | undefined;
  const close = async () => {
    if (!open) return;
    const o = open;
    open = undefined;
    const common = { item_id: o.id, output_index: o.index };
    if (o.kind === "reasoning") {
      await send("response.reasoning_text.done", { ...common, content_index: 0, text: o.text });
      await send("response.content_part.done", { ...common, content_index: 0, part: { type: "reasoning_text", text: o.text } });
      output[o.index] = reasoningItem(o.id, o.text);
    } else if (o.kind === "message") {
      await send("response.output_text.done", { ...common, content_index: 0, text: o.text, logprobs: [] });
      await send("response.content_part.done", { ...common, content_index: 0, part: outputText(o.text) });
      output[o.index] = messageItem(o.id, o.text);
    } else {
      await send("response.function_call_arguments.done", { ...common, name: o.name, arguments: o.text });
      output[o.index] = callItem(o.id, o.callId!, o.name!, o.text);
    }
    await send("response.output_item.done", { output_index: o.index, item: output[o.index] });
  };
  const begin = async (kind: "reasoning" | "message") => {
    await close();
    const id = itemId(kind === "reasoning" ? "rs" : "msg");
    open = { kind, index: output.length, id, text: "" };
    const item =
      kind === "reasoning" ? { ...reasoningItem(id, "", "in_progress"), content: [] } : messageItem(id, undefined, "in_progress");
    output.push(item);
    await send("response.output_item.added", { output_index: open.index, item });
    const part = kind === "reasoning" ? { type: "reasoning_text", text: "" } : outputText("");
    await send("response.content_part.added", { item_id: id, output_index: open.index, content_index: 0, part });
  };
  try {
    await send("response.created", { response: shell(m, "in_progress", []) });
    await send("response.in_progress", { response: shell(m, "in_progress", []) });
    let result: GenerationResult | undefined;
    for (let it = first; !it.done; it = await events.next()) {
      const e = it.value;
      if (e.type === "text" || e.type === "reasoning") {
        const kind = e.type === "text" ? "message" : "reasoning";
        if (open?.kind !== kind) await begin(kind);
        open!.text += e.text;
        const type = kind === "message" ? "response.output_text.delta" : "response.reasoning_text.delta";
        await send(type, {
          item_id: open!.id,
          output_index: open!.index,
          content_index: 0,
          delta: e.text,
          ...(kind === "message" ? { logprobs: [] } : {}),
        });
      } else if (e.type === "tool_start") {
        await close();
        open = { kind: "call", index: output.length, id: itemId("fc"), text: "", callId: e.id, name: e.name };
        const item = callItem(open.id, e.id, e.name, "", "in_progress");
        output.push(item);
        await send("response.output_item.added", { output_index: open.index, item });
      } else if (e.type === "tool_args") {
        if (open?.kind !== "call") continue;
        open.text += e.text;
        await send("response.function_call_arguments.delta", { item_id: open.id, output_index: open.index, delta: e.text });
      } else if (e.type === "tool_end") {
        await close();
      } else if (e.type === "result") {
        result = e.result;
      }
    }
    await close();
    if (!result) throw new Error("the engine ended without a result");
    if (output.length === 0) {
      // an empty answer is still one (empty) message, as in the unstreamed response
      await begin("message");
      await close();
    }
    const status = statusOf(result);
    await send(status === "completed" ? "response.completed" : "response.incomplete", { response: shell(m, status, output, result) });
    sse.end();
    return result;
  } catch (e) {
    if (!sse.closed) {
      const { error } = toOpenAIError(e).body;
      // the documented fields, and `error` so that OpenAI's clients raise it
      await sse.sendEvent("error", {
        type: "error",
        sequence_number: seq++,
        code: error.code,
        message: error.message,
        param: error.param,
        error,
      });
    }
    sse.end();
    return undefined;
  } finally {
    await events.return(undefined);
  }
}

export const newResponseMeta = (body: ResponsesBody): ResponseMeta => ({ id: itemId("resp"), created: nowSec(), body });
