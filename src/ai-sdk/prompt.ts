// The AI SDK's prompt, tools and options (LanguageModelV4CallOptions) as hearth's chat messages and
// generation options, with a warning for each setting hearth does not use.
import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
  SharedV4FileData,
  SharedV4Warning,
} from "@ai-sdk/provider";
import type { ContentPart } from "../model/tasks/text.ts";
import type { ChatMessage, GenerateOptions, ToolChoice, ToolDefinition } from "../sdk/types.ts";

export function toMessages(prompt: LanguageModelV4Prompt): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of prompt) {
    if (m.role === "system") out.push({ role: "system", content: m.content });
    else if (m.role === "user") {
      const parts: ContentPart[] = [];
      for (const p of m.content) {
        if (p.type === "text") parts.push({ type: "text", text: p.text });
        else parts.push(filePart(p.data, p.mediaType));
      }
      // plain text stays a string: text-only chat templates expect one
      out.push({
        role: "user",
        content: parts.every((p) => p.type === "text") ? parts.map((p) => (p as { text: string }).text).join("") : parts,
      });
    } else if (m.role === "assistant") {
      let text = "";
      const toolCalls: NonNullable<ChatMessage["toolCalls"]> = [];
      const results: ChatMessage[] = [];
      for (const p of m.content) {
        if (p.type === "text") text += p.text;
        else if (p.type === "tool-call")
          toolCalls.push({
            id: p.toolCallId,
            name: p.toolName,
            arguments: typeof p.input === "string" ? p.input : JSON.stringify(p.input ?? {}),
          });
        else if (p.type === "tool-result")
          results.push({ role: "tool", toolCallId: p.toolCallId, name: p.toolName, content: toolOutput(p.output) });
        // reasoning of earlier turns is not fed back, as chat templates drop it
      }
      out.push(toolCalls.length > 0 ? { role: "assistant", content: text, toolCalls } : { role: "assistant", content: text });
      out.push(...results);
    } else if (m.role === "tool") {
      for (const p of m.content) {
        if (p.type === "tool-result") out.push({ role: "tool", toolCallId: p.toolCallId, name: p.toolName, content: toolOutput(p.output) });
      }
    }
  }
  return out;
}

function filePart(data: SharedV4FileData, mediaType: string): ContentPart {
  const kind = mediaType.split("/")[0];
  if (data.type === "text") return { type: "text", text: data.text };
  if (kind !== "image" && kind !== "audio") throw new Error(`hearth reads images and audio, not ${mediaType}`);
  if (data.type !== "data") throw new Error(`hearth runs offline and takes files as bytes, not as a ${data.type}`);
  const bytes = typeof data.data === "string" ? Buffer.from(data.data, "base64") : data.data;
  const mimeType = mediaType.includes("/") ? mediaType : undefined;
  return kind === "image" ? { type: "image", data: bytes, mimeType } : { type: "audio", data: bytes, mimeType };
}

function toolOutput(o: LanguageModelV4ToolResultOutput): string {
  switch (o.type) {
    case "text":
    case "error-text":
      return o.value;
    case "json":
    case "error-json":
      return JSON.stringify(o.value);
    case "execution-denied":
      return JSON.stringify({ denied: true, reason: o.reason });
    case "content":
      return o.value.map((p) => (p.type === "text" ? p.text : "")).join("");
  }
}

/** What `providerOptions: { hearth: {...} }` of an AI SDK call may carry. */
export interface HearthCallOptions {
  minP?: number;
  repeatPenalty?: number;
  /** a GBNF grammar the output follows (llama.cpp syntax, root rule "root") */
  grammar?: string;
}

/** hearth's generation options for an AI SDK call, and warnings for what was dropped. */
export function toGenerateOptions(o: LanguageModelV4CallOptions): { options: GenerateOptions; warnings: SharedV4Warning[] } {
  const warnings: SharedV4Warning[] = [];
  const tools: ToolDefinition[] = [];
  for (const t of o.tools ?? []) {
    if (t.type === "function")
      tools.push({ name: t.name, description: t.description, parameters: t.inputSchema as Record<string, unknown> });
    else warnings.push({ type: "unsupported", feature: `provider tool ${t.id}`, details: "hearth runs function tools only" });
  }
  let toolChoice: ToolChoice | undefined;
  const c = o.toolChoice;
  if (c) toolChoice = c.type === "tool" ? { name: c.toolName } : c.type;
  const options: GenerateOptions = {
    maxTokens: o.maxOutputTokens,
    temperature: o.temperature,
    topP: o.topP,
    topK: o.topK,
    presencePenalty: o.presencePenalty,
    frequencyPenalty: o.frequencyPenalty,
    stop: o.stopSequences,
    seed: o.seed,
    signal: o.abortSignal,
  };
  if (tools.length > 0) {
    options.tools = tools;
    options.toolChoice = toolChoice;
  }
  if (o.responseFormat?.type === "json") {
    options.constraint = o.responseFormat.schema
      ? { type: "json_schema", schema: o.responseFormat.schema as Record<string, unknown> }
      : { type: "json_object" };
  }
  // providerOptions.hearth: sampling the AI SDK has no name for, and a GBNF grammar
  const extra = o.providerOptions?.hearth as HearthCallOptions | undefined;
  if (extra?.minP !== undefined) options.minP = extra.minP;
  if (extra?.repeatPenalty !== undefined) options.repeatPenalty = extra.repeatPenalty;
  if (extra?.grammar !== undefined) options.constraint = { type: "grammar", grammar: extra.grammar };
  if (o.reasoning && o.reasoning !== "provider-default") {
    warnings.push({ type: "unsupported", feature: "reasoning", details: "a model's chat template decides whether it thinks" });
  }
  for (const k of Object.keys(options) as (keyof GenerateOptions)[]) if (options[k] === undefined) delete options[k];
  return { options, warnings };
}
