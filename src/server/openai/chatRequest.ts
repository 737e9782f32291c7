// An OpenAI chat completion request body -> our ChatRequest: messages (text, image_url and
// input_audio parts, assistant tool calls, tool results), sampling, tools and tool_choice, and the
// output constraint (response_format or grammar).
import type { ChatMessage, ChatRequest, ContentPart, ToolChoice, ToolDefinition } from "../../model/tasks/text.ts";
import { fromOpenAIContent, type OpenAIContentPart } from "../openaiContent.ts";
import { badParam, withParam } from "../errors.ts";
import { toConstraint, toSampling, type OpenAISamplingFields } from "./sampling.ts";

export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface OpenAIMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content?: string | OpenAIContentPart[] | null;
  name?: string;
  tool_calls?: OpenAIToolCall[];
  tool_call_id?: string;
}

export interface OpenAITool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
}

export type OpenAIToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } };

export interface ChatCompletionBody extends OpenAISamplingFields {
  model: string;
  messages: OpenAIMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  tools?: OpenAITool[] | null;
  tool_choice?: OpenAIToolChoice | null;
  parallel_tool_calls?: boolean | null;
}

export interface ContentOptions {
  allowRemoteMedia: boolean;
}

export async function toChatRequest(body: ChatCompletionBody, options: ContentOptions): Promise<ChatRequest> {
  const messages = await Promise.all(body.messages.map((m, i) => toMessage(m, i, options)));
  const tools = (body.tools ?? []).map(toTool);
  const toolChoice = toToolChoice(body.tool_choice, tools);
  const request: ChatRequest = { task: "chat", messages, sampling: toSampling(body) };
  const constraint = toConstraint(body);
  if (constraint) request.constraint = constraint;
  if (tools.length && toolChoice !== "none") {
    if (constraint)
      throw badParam(
        "response_format",
        "tools and response_format/grammar cannot be combined in one request",
        "send tools, or a response format",
      );
    request.tools = tools;
    request.toolChoice = toolChoice ?? "auto";
    if (body.parallel_tool_calls != null) request.parallelToolCalls = body.parallel_tool_calls;
  }
  return request;
}

async function toMessage(m: OpenAIMessage, i: number, options: ContentOptions): Promise<ChatMessage> {
  const role = m.role === "developer" ? "system" : m.role;
  let content: string | ContentPart[] = "";
  if (m.content != null) {
    try {
      content = await fromOpenAIContent(m.content, { allowRemote: options.allowRemoteMedia });
    } catch (e) {
      throw e instanceof Error ? withParam(e, `messages[${i}].content`) : e;
    }
  }
  if ((role === "system" || role === "tool") && Array.isArray(content) && content.some((p) => p.type !== "text")) {
    throw badParam(`messages[${i}].content`, `${m.role} messages carry text only`, "put images and audio in user messages");
  }
  const msg: ChatMessage = { role, content };
  if (m.name) msg.name = m.name;
  if (role === "tool") {
    if (!m.tool_call_id)
      throw badParam(`messages[${i}].tool_call_id`, "a tool message needs tool_call_id", "echo the id of the call it answers");
    msg.toolCallId = m.tool_call_id;
  }
  if (m.tool_calls?.length) {
    if (role !== "assistant")
      throw badParam(`messages[${i}].tool_calls`, "only assistant messages carry tool_calls", "move them to the assistant turn");
    msg.toolCalls = m.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
  } else if (m.content == null && role !== "assistant") {
    throw badParam(`messages[${i}].content`, `messages[${i}] has no content`, "give the message text");
  }
  return msg;
}

function toTool(t: OpenAITool): ToolDefinition {
  const d: ToolDefinition = { name: t.function.name };
  if (t.function.description) d.description = t.function.description;
  if (t.function.parameters) d.parameters = t.function.parameters;
  return d;
}

function toToolChoice(choice: OpenAIToolChoice | null | undefined, tools: ToolDefinition[]): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === "string") {
    if (choice !== "none" && tools.length === 0)
      throw badParam("tool_choice", `tool_choice "${choice}" needs tools`, "send tools, or omit tool_choice");
    return choice;
  }
  const name = choice.function.name;
  if (!tools.some((t) => t.name === name))
    throw badParam("tool_choice", `tool_choice names "${name}", which is not among the tools`, "name one of the tools sent");
  return { name };
}
