// Schemas of POST /v1/messages and /v1/messages/count_tokens (Anthropic's Messages API). Errors
// answer in Anthropic's shape ({type: "error", error: {type, message}}).
import { modelField } from "./common.ts";

const text = { type: "object", required: ["type", "text"], properties: { type: { const: "text" }, text: { type: "string" } } } as const;
const image = {
  type: "object",
  required: ["type", "source"],
  properties: {
    type: { const: "image" },
    source: {
      type: "object",
      required: ["type"],
      properties: {
        type: { enum: ["base64", "url", "file"] },
        media_type: { type: "string" },
        data: { type: "string" },
        url: { type: "string" },
      },
    },
  },
} as const;
const toolUse = {
  type: "object",
  required: ["type", "id", "name", "input"],
  properties: {
    type: { const: "tool_use" },
    id: { type: "string", maxLength: 256 },
    name: { type: "string", maxLength: 256 },
    input: { type: "object" },
  },
} as const;
const toolResult = {
  type: "object",
  required: ["type", "tool_use_id"],
  properties: {
    type: { const: "tool_result" },
    tool_use_id: { type: "string", maxLength: 256 },
    content: { anyOf: [{ type: "string" }, { type: "array", maxItems: 256, items: { type: "object", required: ["type"] } }] },
    is_error: { type: "boolean" },
  },
} as const;
const otherBlock = {
  type: "object",
  required: ["type"],
  properties: { type: { enum: ["thinking", "redacted_thinking", "document", "search_result", "server_tool_use"] } },
} as const;

const message = {
  type: "object",
  required: ["role", "content"],
  properties: {
    role: { enum: ["user", "assistant"] },
    content: {
      anyOf: [{ type: "string" }, { type: "array", maxItems: 1024, items: { anyOf: [text, image, toolUse, toolResult, otherBlock] } }],
    },
  },
} as const;

const tool = {
  type: "object",
  required: ["name"],
  properties: {
    name: { type: "string", pattern: "^[a-zA-Z0-9_.-]{1,64}$" },
    description: { type: "string" },
    input_schema: { type: "object" },
    type: { type: "string" },
  },
} as const;

const common = {
  model: modelField,
  messages: { type: "array", minItems: 1, maxItems: 100000, items: message },
  system: { anyOf: [{ type: "string" }, { type: "array", maxItems: 256, items: text }] },
  tools: { type: "array", maxItems: 512, items: tool },
  tool_choice: {
    type: "object",
    required: ["type"],
    properties: {
      type: { enum: ["auto", "any", "tool", "none"] },
      name: { type: "string" },
      disable_parallel_tool_use: { type: "boolean" },
    },
  },
  thinking: {
    type: "object",
    required: ["type"],
    properties: { type: { enum: ["enabled", "disabled", "adaptive"] }, budget_tokens: { type: "integer", minimum: 0 } },
  },
} as const;

export const anthropicErrorResponse = {
  type: "object",
  properties: {
    type: { const: "error" },
    error: { type: "object", properties: { type: { type: "string" }, message: { type: "string" } } },
  },
} as const;

export const messagesSchema = {
  summary: "Create a message (Anthropic Messages API)",
  tags: ["anthropic"],
  body: {
    type: "object",
    required: ["model", "max_tokens", "messages"],
    properties: {
      ...common,
      max_tokens: { type: "integer", minimum: 1, maximum: 2147483647 },
      stop_sequences: { type: "array", maxItems: 16, items: { type: "string", maxLength: 1000 } },
      temperature: { type: "number", minimum: 0, maximum: 1 },
      top_p: { type: "number", minimum: 0, maximum: 1 },
      top_k: { type: "integer", minimum: 0, maximum: 1000000 },
      stream: { type: "boolean" },
      metadata: { type: "object" },
    },
  },
  response: { "4xx": anthropicErrorResponse, "5xx": anthropicErrorResponse },
} as const;

export const countTokensSchema = {
  summary: "Count the input tokens of a message (Anthropic Messages API)",
  tags: ["anthropic"],
  body: { type: "object", required: ["model", "messages"], properties: common },
  response: { "4xx": anthropicErrorResponse, "5xx": anthropicErrorResponse },
} as const;
