// Our results -> Anthropic Messages objects: the message with thinking, text and tool_use blocks,
// and the event stream (message_start, content_block_start/delta/stop, message_delta, message_stop).
import type { GenerationResult, ToolCall } from "../../model/tasks/text.ts";
import type { SseStream } from "../sse.ts";
import type { TextStreamEvent } from "../textStream.ts";
import { toDialectError } from "../errors.ts";

export type StopReason = "end_turn" | "max_tokens" | "tool_use";

export function stopReasonOf(r: GenerationResult): StopReason {
  if (r.toolCalls?.length) return "tool_use";
  return r.finishReason === "length" ? "max_tokens" : "end_turn";
}

/** A tool call's arguments as the JSON object Anthropic carries (a non-object is wrapped). */
function inputOf(call: ToolCall): unknown {
  try {
    return JSON.parse(call.arguments || "{}");
  } catch {
    return { arguments: call.arguments };
  }
}

const usageOf = (r: GenerationResult) => ({
  input_tokens: r.usage.promptTokens,
  output_tokens: r.usage.completionTokens,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
});

export function message(id: string, model: string, r: GenerationResult, showThinking: boolean) {
  const content: Record<string, unknown>[] = [];
  if (showThinking && r.reasoning) content.push({ type: "thinking", thinking: r.reasoning, signature: "" });
  if (r.text) content.push({ type: "text", text: r.text });
  for (const c of r.toolCalls ?? []) content.push({ type: "tool_use", id: c.id, name: c.name, input: inputOf(c) });
  return { id, type: "message", role: "assistant", model, content, stop_reason: stopReasonOf(r), stop_sequence: null, usage: usageOf(r) };
}

/** Streams one message as Anthropic's events; resolves with the result (undefined when it failed). */
export async function streamMessage(
  sse: SseStream,
  events: AsyncGenerator<TextStreamEvent>,
  first: IteratorResult<TextStreamEvent>,
  m: { id: string; model: string; showThinking: boolean },
): Promise<GenerationResult | undefined> {
  let index = -1;
  let open: "text" | "thinking" | "tool" | undefined;
  const close = async () => {
    if (open) await sse.sendEvent("content_block_stop", { type: "content_block_stop", index });
    open = undefined;
  };
  const begin = async (kind: "text" | "thinking" | "tool", block: Record<string, unknown>) => {
    await close();
    index++;
    open = kind;
    await sse.sendEvent("content_block_start", { type: "content_block_start", index, content_block: block });
  };
  const delta = (d: Record<string, unknown>) => sse.sendEvent("content_block_delta", { type: "content_block_delta", index, delta: d });
  try {
    await sse.sendEvent("message_start", {
      type: "message_start",
      message: {
        id: m.id,
        type: "message",
        role: "assistant",
        model: m.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
    let result: GenerationResult | undefined;
    for (let it = first; !it.done; it = await events.next()) {
      const e = it.value;
      if (e.type === "text") {
        if (open !== "text") await begin("text", { type: "text", text: "" });
        await delta({ type: "text_delta", text: e.text });
      } else if (e.type === "reasoning") {
        if (!m.showThinking) continue;
        if (open !== "thinking") await begin("thinking", { type: "thinking", thinking: "", signature: "" });
        await delta({ type: "thinking_delta", thinking: e.text });
      } else if (e.type === "tool_start") {
        await begin("tool", { type: "tool_use", id: e.id, name: e.name, input: {} });
      } else if (e.type === "tool_args") {
        await delta({ type: "input_json_delta", partial_json: e.text });
      } else if (e.type === "tool_end") {
        await close();
      } else if (e.type === "result") {
        result = e.result;
      }
    }
    await close();
    if (!result) throw new Error("the engine ended without a result");
    await sse.sendEvent("message_delta", {
      type: "message_delta",
      delta: { stop_reason: stopReasonOf(result), stop_sequence: null },
      usage: { input_tokens: result.usage.promptTokens, output_tokens: result.usage.completionTokens },
    });
    await sse.sendEvent("message_stop", { type: "message_stop" });
    sse.end();
    return result;
  } catch (e) {
    if (!sse.closed) await sse.sendEvent("error", toDialectError(e, "anthropic").body);
    sse.end();
    return undefined;
  } finally {
    await events.return(undefined);
  }
}
