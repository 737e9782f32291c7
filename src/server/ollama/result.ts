// Our results -> Ollama's chat and generate answers: the chunks (NDJSON lines) and the final line
// with done_reason and the timing fields, in nanoseconds, filled from hearth's profile.
import type { GenerationResult, ToolCall } from "../../model/tasks/text.ts";
import type { NdjsonStream } from "../ndjson.ts";
import type { TextStreamEvent } from "../textStream.ts";

export interface OllamaMeta {
  model: string;
  /** "chat" answers carry `message`, "generate" answers carry `response` */
  kind: "chat" | "generate";
  showThinking: boolean;
  /** performance.now() when the request arrived, and the ms spent waiting for the model to load */
  startedAt: number;
  loadMs: number;
}

const ns = (ms: number) => Math.max(0, Math.round(ms * 1e6));

export function timings(m: OllamaMeta, r: GenerationResult) {
  const ttft = r.profile.ttftMs ?? 0;
  return {
    total_duration: ns(performance.now() - m.startedAt),
    load_duration: ns(m.loadMs),
    prompt_eval_count: r.usage.promptTokens,
    prompt_eval_duration: ns(ttft),
    eval_count: r.usage.completionTokens,
    eval_duration: ns(r.profile.totalMs - ttft),
  };
}

export function ollamaToolCall(c: ToolCall, index: number) {
  let args: unknown;
  try {
    args = JSON.parse(c.arguments || "{}");
  } catch {
    args = { arguments: c.arguments };
  }
  return { id: c.id, function: { index, name: c.name, arguments: args } };
}

const doneReason = (r: GenerationResult) => (r.finishReason === "length" ? "length" : "stop");

function line(
  m: OllamaMeta,
  fields: { content?: string; thinking?: string; toolCalls?: ReturnType<typeof ollamaToolCall>[] },
  done: boolean,
) {
  const base = { model: m.model, created_at: new Date().toISOString() };
  if (m.kind === "generate") {
    return { ...base, response: fields.content ?? "", ...(fields.thinking ? { thinking: fields.thinking } : {}), done };
  }
  const message: Record<string, unknown> = { role: "assistant", content: fields.content ?? "" };
  if (fields.thinking) message.thinking = fields.thinking;
  if (fields.toolCalls?.length) message.tool_calls = fields.toolCalls;
  return { ...base, message, done };
}

/** The whole answer as one object (stream: false). */
export function answer(m: OllamaMeta, r: GenerationResult) {
  const thinking = m.showThinking ? r.reasoning : undefined;
  const toolCalls = (r.toolCalls ?? []).map(ollamaToolCall);
  return { ...line(m, { content: r.text, thinking, toolCalls }, true), done_reason: doneReason(r), ...timings(m, r) };
}

/** Streams the answer as NDJSON lines; resolves with the result (undefined when it failed). */
export async function streamAnswer(
  out: NdjsonStream,
  events: AsyncGenerator<TextStreamEvent>,
  first: IteratorResult<TextStreamEvent>,
  m: OllamaMeta,
): Promise<GenerationResult | undefined> {
  try {
    let result: GenerationResult | undefined;
    for (let it = first; !it.done; it = await events.next()) {
      const e = it.value;
      if (e.type === "text") await out.send(line(m, { content: e.text }, false));
      else if (e.type === "reasoning" && m.showThinking) await out.send(line(m, { thinking: e.text }, false));
      // Ollama carries arguments as an object: a call goes out whole, when the model has finished it
      else if (e.type === "tool_end") await out.send(line(m, { toolCalls: [ollamaToolCall(e.call, e.index)] }, false));
      else if (e.type === "result") result = e.result;
    }
    if (!result) throw new Error("the engine ended without a result");
    await out.send({ ...line(m, {}, true), done_reason: doneReason(result), ...timings(m, result) });
    await out.done();
    return result;
  } catch (e) {
    await out.fail(e);
    return undefined;
  } finally {
    await events.return(undefined);
  }
}
