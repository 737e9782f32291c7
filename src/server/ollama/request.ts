// Ollama's /api/chat and /api/generate bodies -> our ChatRequest or CompleteRequest: messages with
// base64 `images` and `tool_calls` (arguments as objects), `options` mapped to sampling, `format`
// ("json" or a JSON schema), `tools`, `think`; and the model names Ollama clients send.
import type {
  ChatMessage,
  ChatRequest,
  CompleteRequest,
  ContentPart,
  OutputConstraint,
  SamplingOptions,
  ToolDefinition,
} from "../../model/tasks/text.ts";
import { badParam } from "../errors.ts";
import { imageFromBase64 } from "../base64Image.ts";

/** Ollama names are `name:tag`, `:latest` when no tag is given; hearth's names carry a tag only
 * for a quant (`org/repo:Q4_K_M`). So `:latest` is dropped and any other tag is kept. */
export const fromOllamaName = (name: string) => name.trim().replace(/:latest$/i, "");
export const toOllamaName = (id: string) => (id.includes(":") ? id : `${id}:latest`);

export interface OllamaOptions {
  num_predict?: number;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  seed?: number;
  stop?: string[];
  num_ctx?: number;
  repeat_penalty?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  [k: string]: unknown;
}

export interface OllamaToolCall {
  id?: string;
  function: { name: string; arguments?: Record<string, unknown> | string; index?: number };
}

export interface OllamaMessage {
  role: "system" | "user" | "assistant" | "tool";
  content?: string;
  images?: string[];
  tool_calls?: OllamaToolCall[];
  thinking?: string;
  tool_name?: string;
  tool_call_id?: string;
}

export interface OllamaTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

interface CommonBody {
  model: string;
  format?: "json" | "" | Record<string, unknown>;
  options?: OllamaOptions;
  stream?: boolean;
  think?: boolean | "high" | "medium" | "low";
  keep_alive?: string | number;
}

export interface ChatBody extends CommonBody {
  messages?: OllamaMessage[];
  tools?: OllamaTool[];
}

export interface GenerateBody extends CommonBody {
  prompt?: string;
  suffix?: string;
  system?: string;
  template?: string;
  raw?: boolean;
  images?: string[];
  context?: number[];
}

export function toSampling(o: OllamaOptions | undefined): SamplingOptions {
  const s: SamplingOptions = {};
  if (!o) return s;
  // -1 is "until done", -2 "until the context is full": both are hearth's default
  if (o.num_predict != null && o.num_predict > 0) s.maxTokens = o.num_predict;
  if (o.temperature != null) s.temperature = o.temperature;
  if (o.top_k != null) s.topK = o.top_k;
  if (o.top_p != null) s.topP = o.top_p;
  if (o.min_p != null) s.minP = o.min_p;
  if (o.seed != null) s.seed = Number(BigInt.asUintN(32, BigInt(Math.trunc(o.seed))));
  if (o.repeat_penalty != null) s.repeatPenalty = o.repeat_penalty;
  if (o.presence_penalty != null) s.presencePenalty = o.presence_penalty;
  if (o.frequency_penalty != null) s.frequencyPenalty = o.frequency_penalty;
  const stop = (o.stop ?? []).filter((x) => x.length > 0);
  if (stop.length) s.stop = stop;
  return s;
}

function toConstraint(format: CommonBody["format"]): OutputConstraint | undefined {
  if (format === undefined || format === "") return undefined;
  if (format === "json") return { type: "json_object" };
  return { type: "json_schema", schema: format };
}

/** Whether the model's thinking goes out (Ollama's `think`): only `think: false` hides it. */
export const showsThinking = (b: CommonBody) => b.think !== false;

export async function toChatRequest(body: ChatBody): Promise<ChatRequest> {
  const messages: ChatMessage[] = [];
  for (const [i, m] of (body.messages ?? []).entries()) messages.push(await toMessage(m, `messages[${i}]`));
  const request: ChatRequest = { task: "chat", messages, sampling: toSampling(body.options) };
  const constraint = toConstraint(body.format);
  const tools: ToolDefinition[] = (body.tools ?? []).map((t) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    ...(t.function.parameters ? { parameters: t.function.parameters } : {}),
  }));
  if (tools.length) {
    if (constraint) throw badParam("format", "tools and format cannot be combined in one request", "send tools, or a format");
    request.tools = tools;
    request.toolChoice = "auto";
  } else if (constraint) request.constraint = constraint;
  return request;
}

async function toMessage(m: OllamaMessage, at: string): Promise<ChatMessage> {
  const text = m.content ?? "";
  const msg: ChatMessage = { role: m.role, content: text };
  if (m.images?.length) {
    if (m.role !== "user") throw badParam(`${at}.images`, "only user messages carry images", "move the images to a user message");
    const parts: ContentPart[] = [];
    if (text) parts.push({ type: "text", text });
    for (const [j, img] of m.images.entries()) parts.push(await imageFromBase64(img, `${at}.images[${j}]`));
    msg.content = parts;
  }
  if (m.tool_calls?.length) {
    if (m.role !== "assistant")
      throw badParam(`${at}.tool_calls`, "only assistant messages carry tool_calls", "move them to the assistant turn");
    msg.toolCalls = m.tool_calls.map((c, j) => ({
      id: c.id ?? `call_${j}`,
      name: c.function.name,
      arguments: typeof c.function.arguments === "string" ? c.function.arguments : JSON.stringify(c.function.arguments ?? {}),
    }));
  }
  // Ollama names the tool a result comes from, not the call; the engine pairs results with calls in order
  if (m.role === "tool" && m.tool_call_id) msg.toolCallId = m.tool_call_id;
  if (m.role === "tool" && m.tool_name) msg.name = m.tool_name;
  return msg;
}

/** /api/generate: a raw prompt continues as a completion; otherwise the prompt (and system) go
 * through the model's chat template, as Ollama does. */
export async function toGenerateRequest(body: GenerateBody): Promise<ChatRequest | CompleteRequest> {
  if (body.suffix) throw badParam("suffix", "suffix (fill-in-the-middle) is not supported", "send the prompt only");
  if (body.template)
    throw badParam(
      "template",
      "a per-request template is not supported: the model's own chat template is used",
      "omit template, or send raw: true with a formatted prompt",
    );
  if (body.context?.length)
    throw badParam("context", "context (token ids of an earlier answer) is not supported", "send the conversation to /api/chat instead");
  const sampling = toSampling(body.options);
  const constraint = toConstraint(body.format);
  if (body.raw) {
    if (body.images?.length) throw badParam("images", "images need the chat template: they cannot go with raw: true", "omit raw");
    return { task: "complete", prompt: body.prompt ?? "", sampling, ...(constraint ? { constraint } : {}) };
  }
  const messages: ChatMessage[] = [];
  if (body.system) messages.push({ role: "system", content: body.system });
  messages.push(await toMessage({ role: "user", content: body.prompt ?? "", images: body.images }, "prompt"));
  return { task: "chat", messages, sampling, ...(constraint ? { constraint } : {}) };
}
