// Our results -> OpenAI response objects: chat.completion, chat.completion.chunk, text_completion.
import { randomBytes } from "node:crypto";
import type { FinishReason, GenerationResult, ToolCall } from "../../model/tasks/text.ts";

export type OpenAIFinishReason = "stop" | "length" | "tool_calls";

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString("hex")}`;
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

export const SYSTEM_FINGERPRINT = "hearth-0.1.0";

export function finishReasonOf(r: Pick<GenerationResult, "finishReason" | "toolCalls">): OpenAIFinishReason {
  if (r.toolCalls?.length) return "tool_calls";
  const f: FinishReason = r.finishReason;
  return f === "length" ? "length" : f === "tool_calls" ? "tool_calls" : "stop";
}

export function usageOf(r: Pick<GenerationResult, "usage">) {
  const { promptTokens, completionTokens } = r.usage;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export function openAIToolCall(c: ToolCall) {
  return { id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } };
}

export function chatCompletion(id: string, created: number, model: string, r: GenerationResult) {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: r.text === "" && r.toolCalls?.length ? null : r.text,
    refusal: null,
  };
  if (r.reasoning) message.reasoning_content = r.reasoning;
  if (r.toolCalls?.length) message.tool_calls = r.toolCalls.map(openAIToolCall);
  return {
    id,
    object: "chat.completion" as const,
    created,
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(r) }],
    usage: usageOf(r),
  };
}

/** One chat.completion.chunk; `usage` is null on every chunk but the last when usage is asked for. */
export function chatChunk(
  id: string,
  created: number,
  model: string,
  delta: Record<string, unknown>,
  finish: OpenAIFinishReason | null = null,
  withUsage = false,
) {
  return {
    id,
    object: "chat.completion.chunk" as const,
    created,
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  };
}

/** hearth's own figures for a generation (an extension field, `hearth`, on a stream's last chunk):
 * what the web app shows under each answer. */
export function hearthFigures(r: GenerationResult, engine: { backend: string; device: string }) {
  const p = r.profile;
  return {
    backend: engine.backend,
    device: engine.device,
    ttft_ms: p.ttftMs ?? null,
    prefill_tokens_per_sec: p.prefillTokensPerSec ?? null,
    decode_tokens_per_sec: p.decodeTokensPerSec ?? null,
    total_ms: p.totalMs,
    prompt_tokens: r.usage.promptTokens,
    completion_tokens: r.usage.completionTokens,
  };
}

export function chatUsageChunk(id: string, created: number, model: string, r: GenerationResult) {
  return {
    id,
    object: "chat.completion.chunk" as const,
    created,
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [],
    usage: usageOf(r),
  };
}

export function textCompletion(id: string, created: number, model: string, choices: { text: string; result: GenerationResult }[]) {
  const promptTokens = choices.reduce((s, c) => s + c.result.usage.promptTokens, 0);
  const completionTokens = choices.reduce((s, c) => s + c.result.usage.completionTokens, 0);
  return {
    id,
    object: "text_completion" as const,
    created,
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: choices.map((c, index) => ({ text: c.text, index, logprobs: null, finish_reason: finishReasonOf(c.result) })),
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

export function textChunk(
  id: string,
  created: number,
  model: string,
  text: string,
  finish: OpenAIFinishReason | null = null,
  withUsage = false,
) {
  return {
    id,
    object: "text_completion" as const,
    created,
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  };
}

export function textUsageChunk(id: string, created: number, model: string, r: GenerationResult) {
  return { id, object: "text_completion" as const, created, model, system_fingerprint: SYSTEM_FINGERPRINT, choices: [], usage: usageOf(r) };
}
