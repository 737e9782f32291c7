// An OpenAI Responses request -> our ChatRequest: `input` as text or items (messages with
// input_text / input_image / output_text parts, function_call and function_call_output items),
// `instructions`, function tools, tool_choice, text.format, and the sampling fields. Nothing is
// stored, so previous_response_id is refused rather than ignored.
import type { ChatMessage, ChatRequest, OutputConstraint, SamplingOptions, ToolChoice, ToolDefinition } from "../../model/tasks/text.ts";
import { fromOpenAIContent, type OpenAIContentPart } from "../openaiContent.ts";
import { badParam, withParam } from "../errors.ts";

export type ResponsesPart =
  | { type: "input_text" | "output_text"; text: string }
  | { type: "input_image"; image_url?: string; file_id?: string; detail?: string }
  | { type: "refusal"; refusal: string }
  | { type: string; [k: string]: unknown };

export type ResponsesItem =
  | { type?: "message"; role: "user" | "assistant" | "system" | "developer"; content: string | ResponsesPart[]; id?: string }
  | { type: "function_call"; call_id: string; name: string; arguments: string; id?: string }
  | { type: "function_call_output"; call_id: string; output: string | ResponsesPart[] }
  | { type: "reasoning"; [k: string]: unknown }
  | { type: string; [k: string]: unknown };

export interface ResponsesTool {
  type: string;
  name?: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export type ResponsesToolChoice = "auto" | "none" | "required" | { type: string; name?: string };

export interface ResponsesFormat {
  type: "text" | "json_object" | "json_schema";
  name?: string;
  schema?: Record<string, unknown>;
  strict?: boolean | null;
}

export interface ResponsesBody {
  model: string;
  input: string | ResponsesItem[];
  instructions?: string | null;
  tools?: ResponsesTool[] | null;
  tool_choice?: ResponsesToolChoice | null;
  parallel_tool_calls?: boolean | null;
  text?: { format?: ResponsesFormat | null } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  stream?: boolean | null;
  previous_response_id?: string | null;
  store?: boolean | null;
  metadata?: Record<string, string> | null;
}

export async function toChatRequest(body: ResponsesBody, options: { allowRemoteMedia: boolean }): Promise<ChatRequest> {
  if (body.previous_response_id) {
    throw badParam(
      "previous_response_id",
      "this server does not keep responses, so previous_response_id cannot be followed",
      "send the whole conversation in `input` (store: false)",
    );
  }
  const messages: ChatMessage[] = [];
  if (body.instructions) messages.push({ role: "system", content: body.instructions });
  const items: ResponsesItem[] = typeof body.input === "string" ? [{ role: "user", content: body.input }] : body.input;
  for (const [i, item] of items.entries()) await addItem(messages, item, `input[${i}]`, options);
  if (!messages.some((m) => m.role !== "system")) throw badParam("input", "input has no message", "send input text or a user message");
  const request: ChatRequest = { task: "chat", messages, sampling: toSampling(body) };
  const constraint = toConstraint(body.text?.format);
  if (constraint) request.constraint = constraint;
  const tools = (body.tools ?? []).map((t, i) => toTool(t, `tools[${i}]`));
  const choice = toToolChoice(body.tool_choice, tools);
  if (tools.length && choice !== "none") {
    if (constraint)
      throw badParam("text.format", "tools and a JSON text.format cannot be combined in one request", "send tools, or a format");
    request.tools = tools;
    request.toolChoice = choice ?? "auto";
    if (body.parallel_tool_calls != null) request.parallelToolCalls = body.parallel_tool_calls;
  }
  return request;
}

async function addItem(messages: ChatMessage[], item: ResponsesItem, at: string, options: { allowRemoteMedia: boolean }) {
  const type = item.type ?? "message";
  if (type === "message") {
    const m = item as Extract<ResponsesItem, { role: string }>;
    const role = m.role === "developer" ? "system" : m.role;
    const content = typeof m.content === "string" ? m.content : await toContent(m.content, `${at}.content`, options);
    if (role !== "user" && Array.isArray(content) && content.some((p) => p.type !== "text")) {
      throw badParam(`${at}.content`, `${m.role} messages carry text only`, "put images in user messages");
    }
    messages.push({ role, content });
  } else if (type === "function_call") {
    const c = item as Extract<ResponsesItem, { type: "function_call" }>;
    const call = { id: c.call_id, name: c.name, arguments: c.arguments };
    // calls join the assistant turn before them (a message item, or the calls made together)
    const last = messages[messages.length - 1];
    if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), call];
    else messages.push({ role: "assistant", content: "", toolCalls: [call] });
  } else if (type === "function_call_output") {
    const o = item as Extract<ResponsesItem, { type: "function_call_output" }>;
    const output =
      typeof o.output === "string" ? o.output : o.output.map((p) => ("text" in p && typeof p.text === "string" ? p.text : "")).join("");
    messages.push({ role: "tool", toolCallId: o.call_id, content: output });
  } else if (type !== "reasoning") {
    throw badParam(
      `${at}.type`,
      `input items of type "${type}" are not supported`,
      "send message, function_call and function_call_output items",
    );
  }
}

async function toContent(parts: ResponsesPart[], at: string, options: { allowRemoteMedia: boolean }) {
  const openai: OpenAIContentPart[] = parts.map((p, j) => {
    if (p.type === "input_text" || p.type === "output_text") return { type: "text", text: String(p.text ?? "") };
    if (p.type === "refusal") return { type: "text", text: String(p.refusal ?? "") };
    if (p.type === "input_image") {
      if (typeof p.image_url !== "string")
        throw badParam(
          `${at}[${j}]`,
          "input_image needs image_url (file_id is not supported)",
          "send the image as a data: URI in image_url",
        );
      return { type: "image_url", image_url: { url: p.image_url } };
    }
    throw badParam(`${at}[${j}].type`, `content parts of type "${p.type}" are not supported`, "use input_text or input_image");
  });
  try {
    return await fromOpenAIContent(openai, { allowRemote: options.allowRemoteMedia });
  } catch (e) {
    throw e instanceof Error ? withParam(e, at) : e;
  }
}

function toSampling(b: ResponsesBody): SamplingOptions {
  const s: SamplingOptions = {};
  if (b.max_output_tokens != null) s.maxTokens = b.max_output_tokens;
  if (b.temperature != null) s.temperature = b.temperature;
  if (b.top_p != null) s.topP = b.top_p;
  return s;
}

function toConstraint(f: ResponsesFormat | null | undefined): OutputConstraint | undefined {
  if (!f || f.type === "text") return undefined;
  if (f.type === "json_object") return { type: "json_object" };
  if (!f.schema)
    throw badParam("text.format.schema", "text.format json_schema needs a schema", "give the JSON schema the output must follow");
  return { type: "json_schema", schema: f.schema };
}

function toTool(t: ResponsesTool, at: string): ToolDefinition {
  if (t.type !== "function") throw badParam(`${at}.type`, `tools of type "${t.type}" are not available here`, "send function tools");
  if (!t.name) throw badParam(`${at}.name`, "a function tool needs a name", "name the function");
  const d: ToolDefinition = { name: t.name };
  if (t.description) d.description = t.description;
  if (t.parameters) d.parameters = t.parameters;
  return d;
}

function toToolChoice(c: ResponsesToolChoice | null | undefined, tools: ToolDefinition[]): ToolChoice | undefined {
  if (c == null) return undefined;
  if (typeof c === "string") {
    if (c !== "none" && c !== "auto" && tools.length === 0)
      throw badParam("tool_choice", `tool_choice "${c}" needs tools`, "send tools, or omit tool_choice");
    return c;
  }
  if (c.type !== "function") throw badParam("tool_choice.type", `tool_choice of type "${c.type}" is not supported`, "name a function tool");
  if (!c.name || !tools.some((t) => t.name === c.name))
    throw badParam("tool_choice.name", `tool_choice names "${c.name ?? ""}", which is not among the tools`, "name one of the tools sent");
  return { name: c.name };
}
