// The one stream every dialect renders: an engine's text, reasoning and tool-call events made
// regular. Each tool call opens (id, name), streams its argument fragments and closes with the whole
// call, whether the engine streamed fragments (llama), reported the call whole, or only in its
// result; so each dialect's streaming writer is a plain mapping of these events.
import type { TaskEvent } from "../model/task.ts";
import type { GenerationResult, ToolCall } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";

export type TextStreamEvent =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "tool_start"; index: number; id: string; name: string }
  | { type: "tool_args"; index: number; text: string }
  | { type: "tool_end"; index: number; call: ToolCall }
  | { type: "result"; result: GenerationResult };

/** Regular events from an engine's run; ends with exactly one `result` (or throws). */
export async function* textStream(events: AsyncIterable<TaskEvent>): AsyncGenerator<TextStreamEvent> {
  const open = new Map<number, { id: string; name: string; args: string }>();
  const ended = new Set<number>();
  function* start(index: number, id: string, name: string) {
    if (open.has(index) || ended.has(index)) return;
    open.set(index, { id, name, args: "" });
    yield { type: "tool_start", index, id, name } as const;
  }
  function* finish(index: number, call: ToolCall): Generator<TextStreamEvent> {
    if (ended.has(index)) return;
    yield* start(index, call.id, call.name);
    const o = open.get(index)!;
    // what was not streamed yet goes as one last fragment
    if (call.arguments.startsWith(o.args) && call.arguments.length > o.args.length)
      yield { type: "tool_args", index, text: call.arguments.slice(o.args.length) };
    open.delete(index);
    ended.add(index);
    yield { type: "tool_end", index, call: { ...call, id: o.id } };
  }
  let result: GenerationResult | undefined;
  for await (const e of events) {
    if (e.type === "text" || e.type === "reasoning") {
      if (e.text) yield e;
    } else if (e.type === "tool_call_delta") {
      if (ended.has(e.index)) continue;
      yield* start(e.index, e.id, e.name);
      open.get(e.index)!.args += e.arguments;
      yield { type: "tool_args", index: e.index, text: e.arguments };
    } else if (e.type === "tool_call") {
      yield* finish(e.index, e.call);
    } else if (e.type === "result") {
      result = e.result as GenerationResult;
    }
  }
  if (!result) throw new HearthError("internal", "the engine ended without a result");
  for (const [index, call] of (result.toolCalls ?? []).entries()) yield* finish(index, call);
  yield { type: "result", result };
}
