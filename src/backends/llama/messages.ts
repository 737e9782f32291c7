// OpenAI-shaped chat messages as node-llama-cpp chat history: tool results join the model turn that
// called them (node-llama-cpp renders calls and results through the model's own template).
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse, GbnfJsonSchema } from "node-llama-cpp";
import type { ChatMessage, ContentPart, ToolDefinition } from "../../model/tasks/text.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { grammarJsonSchema } from "./jsonSchemaGrammar.ts";

function textOf(content: ChatMessage["content"], role: string): string {
  if (typeof content === "string") return content;
  return content
    .map((p: ContentPart) => {
      if (p.type === "text") return p.text;
      throw new HearthError("unsupported_task", `a ${role} message has ${p.type} content, but this is a text-only model`, {
        hint: "use a vision/audio model (VLM) for media, or send text only",
      });
    })
    .join("");
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HearthError("bad_input", `${what} is not valid JSON: ${text.slice(0, 80)}`, { hint: "tool call arguments are JSON text" });
  }
}

export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new HearthError("bad_input", "a chat needs at least one message", { hint: 'pass [{ role: "user", content: "..." }]' });
  }
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    switch (m.role) {
      case "system":
        history.push({ type: "system", text: textOf(m.content, m.role) });
        break;
      case "user":
        history.push({ type: "user", text: textOf(m.content, m.role) });
        break;
      case "assistant": {
        const response: ChatModelResponse["response"] = [];
        const text = textOf(m.content ?? "", m.role);
        if (text) response.push(text);
        for (const call of m.toolCalls ?? []) {
          const fc: ChatModelFunctionCall & { id?: string } = {
            type: "functionCall",
            name: call.name,
            params: parseJson(call.arguments || "{}", `the arguments of tool call "${call.name}"`),
            result: undefined,
          };
          fc.id = call.id;
          response.push(fc);
        }
        history.push({ type: "model", response });
        break;
      }
      case "tool": {
        const last = history[history.length - 1];
        const calls =
          last?.type === "model"
            ? (last.response.filter((r) => typeof r === "object" && r.type === "functionCall") as (ChatModelFunctionCall & {
                id?: string;
              })[])
            : [];
        const call = calls.find((c) => m.toolCallId !== undefined && c.id === m.toolCallId) ?? calls.find((c) => c.result === undefined);
        if (!call) {
          throw new HearthError(
            "bad_input",
            `a tool message${m.toolCallId ? ` (${m.toolCallId})` : ""} does not answer a tool call of the assistant message before it`,
            {
              hint: "put tool results right after the assistant message that called the tools",
            },
          );
        }
        const text = textOf(m.content, m.role);
        try {
          call.result = JSON.parse(text);
        } catch {
          call.result = text;
        }
        break;
      }
      default:
        throw new HearthError("bad_input", `unknown message role "${(m as { role: string }).role}"`, {
          hint: "roles: system, user, assistant, tool",
        });
    }
  }
  // node-llama-cpp generates into the last model turn; a chat that ends with the user gets an empty one
  if (history[history.length - 1].type !== "model") history.push({ type: "model", response: [] });
  // tool calls that never got a result would render as unanswered: mark them so the template stays valid
  for (const item of history) {
    if (item.type !== "model") continue;
    for (const r of item.response) if (typeof r === "object" && r.type === "functionCall" && r.result === undefined) r.result = "";
  }
  return history;
}

export function toFunctions(tools: ToolDefinition[]): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const t of tools) {
    if (!t?.name || !/^[A-Za-z0-9_.-]{1,64}$/.test(t.name)) {
      throw new HearthError("bad_input", `tool name "${t?.name}" is not valid`, { hint: "names use letters, digits, _ . - (at most 64)" });
    }
    functions[t.name] = {
      description: t.description,
      params: t.parameters ? grammarJsonSchema(t.parameters, `the parameters of tool "${t.name}"`) : undefined,
    };
  }
  return functions;
}
