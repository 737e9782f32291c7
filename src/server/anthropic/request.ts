// An Anthropic Messages request -> our ChatRequest: system text, user and assistant turns with
// text, base64 image, tool_use and tool_result blocks, tools with input_schema, tool_choice, and the
// sampling fields. Thinking blocks sent back by a client are history the template drops.
import type { ChatMessage, ChatRequest, ContentPart, SamplingOptions, ToolChoice, ToolDefinition } from "../../model/tasks/text.ts";
import { badParam } from "../errors.ts";
import { imageFromBase64 } from "../base64Image.ts";

export type AnthropicBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content?: string | AnthropicBlock[]; is_error?: boolean }
  | { type: "thinking"; thinking: string; signature?: string }
  | { type: "redacted_thinking"; data: string }
  | { type: string; [k: string]: unknown };

export interface AnthropicMessage {
  role: "user" | "assistant";
  content: string | AnthropicBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema?: Record<string, unknown>;
  type?: string;
}

export interface MessagesBody {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: string | { type: "text"; text: string }[];
  tools?: AnthropicTool[];
  tool_choice?: { type: "auto" | "any" | "tool" | "none"; name?: string; disable_parallel_tool_use?: boolean };
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  thinking?: { type: "enabled" | "disabled" | "adaptive"; budget_tokens?: number };
  stream?: boolean;
}

export interface AnthropicChat {
  request: ChatRequest;
  /** the client asked for thinking: the model's reasoning goes out as thinking blocks */
  showThinking: boolean;
}

export async function toChatRequest(body: MessagesBody): Promise<AnthropicChat> {
  const messages: ChatMessage[] = [];
  const system = typeof body.system === "string" ? body.system : (body.system ?? []).map((b) => b.text).join("\n");
  if (system) messages.push({ role: "system", content: system });
  for (const [i, m] of body.messages.entries()) messages.push(...(await toMessages(m, `messages[${i}]`)));
  const request: ChatRequest = { task: "chat", messages, sampling: toSampling(body) };
  const tools = (body.tools ?? []).map((t, i) => toTool(t, `tools[${i}]`));
  const choice = toToolChoice(body.tool_choice, tools);
  if (tools.length && choice !== "none") {
    request.tools = tools;
    request.toolChoice = choice ?? "auto";
    if (body.tool_choice?.disable_parallel_tool_use) request.parallelToolCalls = false;
  }
  return { request, showThinking: body.thinking?.type === "enabled" || body.thinking?.type === "adaptive" };
}

function toSampling(b: MessagesBody): SamplingOptions {
  const s: SamplingOptions = { maxTokens: b.max_tokens };
  if (b.temperature != null) s.temperature = b.temperature;
  if (b.top_p != null) s.topP = b.top_p;
  if (b.top_k != null) s.topK = b.top_k;
  const stop = (b.stop_sequences ?? []).filter((x) => x.length > 0);
  if (stop.length) s.stop = stop;
  return s;
}

/** One Anthropic turn -> our messages: a user turn's tool results become tool messages first. */
async function toMessages(m: AnthropicMessage, where: string): Promise<ChatMessage[]> {
  if (typeof m.content === "string") return [{ role: m.role, content: m.content }];
  if (m.role === "assistant") {
    let text = "";
    const toolCalls: ChatMessage["toolCalls"] = [];
    for (const [j, b] of m.content.entries()) {
      if (b.type === "text") text += (b as { text: string }).text;
      else if (b.type === "tool_use") {
        const u = b as { id: string; name: string; input: unknown };
        toolCalls.push({ id: u.id, name: u.name, arguments: JSON.stringify(u.input ?? {}) });
      } else if (b.type !== "thinking" && b.type !== "redacted_thinking") {
        throw badParam(
          `${where}.content[${j}]`,
          `assistant turns carry text, tool_use and thinking blocks, not "${b.type}"`,
          "send the assistant's text and tool calls",
        );
      }
    }
    return [{ role: "assistant", content: text, ...(toolCalls.length ? { toolCalls } : {}) }];
  }
  const out: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const [j, b] of m.content.entries()) {
    const at = `${where}.content[${j}]`;
    if (b.type === "text") parts.push({ type: "text", text: (b as { text: string }).text });
    else if (b.type === "image") parts.push(await toImage(b as Extract<AnthropicBlock, { type: "image" }>, at));
    else if (b.type === "tool_result") {
      const r = b as { tool_use_id: string; content?: string | AnthropicBlock[]; is_error?: boolean };
      out.push({ role: "tool", toolCallId: r.tool_use_id, content: toolResultText(r.content, at) });
    } else {
      throw badParam(
        at,
        `user turns carry text, image and tool_result blocks, not "${b.type}"`,
        "send text, base64 images or tool results",
      );
    }
  }
  if (parts.length)
    out.push({
      role: "user",
      content: parts.every((p) => p.type === "text") ? parts.map((p) => (p as { text: string }).text).join("") : parts,
    });
  if (out.length === 0) throw badParam(`${where}.content`, `${where} has no content`, "give the message a text block");
  return out;
}

function toolResultText(content: string | AnthropicBlock[] | undefined, at: string): string {
  if (content === undefined || typeof content === "string") return content ?? "";
  return content
    .map((c, k) => {
      if (c.type === "text") return (c as { text: string }).text;
      throw badParam(`${at}.content[${k}]`, "tool results carry text only here", "send the tool's result as text");
    })
    .join("");
}

async function toImage(b: Extract<AnthropicBlock, { type: "image" }>, at: string): Promise<ContentPart> {
  const src = b.source as { type: string; data?: string };
  if (src.type !== "base64" || typeof src.data !== "string") {
    // a server never fetches addresses for clients
    throw badParam(
      `${at}.source`,
      `image sources of type "${src.type}" are not supported`,
      'send the image as { type: "base64", media_type, data }',
    );
  }
  return imageFromBase64(src.data, `${at}.source.data`);
}

function toTool(t: AnthropicTool, at: string): ToolDefinition {
  if (t.type && t.type !== "custom")
    throw badParam(`${at}.type`, `server tool "${t.type}" is not available here`, "send client tools with name and input_schema");
  const d: ToolDefinition = { name: t.name };
  if (t.description) d.description = t.description;
  if (t.input_schema) d.parameters = t.input_schema;
  return d;
}

function toToolChoice(c: MessagesBody["tool_choice"], tools: ToolDefinition[]): ToolChoice | undefined {
  if (!c) return undefined;
  if (c.type === "none") return "none";
  if (tools.length === 0) throw badParam("tool_choice", `tool_choice "${c.type}" needs tools`, "send tools, or omit tool_choice");
  if (c.type === "auto") return "auto";
  if (c.type === "any") return "required";
  if (!c.name || !tools.some((t) => t.name === c.name))
    throw badParam("tool_choice.name", `tool_choice names "${c.name ?? ""}", which is not among the tools`, "name one of the tools sent");
  return { name: c.name };
}
