// Schemas of Ollama's API under /api. Errors answer in Ollama's shape, {"error": "message"}.
import { modelField } from "./common.ts";

export const ollamaErrorResponse = { type: "object", properties: { error: { type: "string" } } } as const;
const errors = { "4xx": ollamaErrorResponse, "5xx": ollamaErrorResponse } as const;

const options = {
  type: "object",
  properties: {
    num_predict: { type: "integer", minimum: -2, maximum: 2147483647 },
    temperature: { type: "number", minimum: 0, maximum: 100 },
    top_k: { type: "integer", minimum: 0, maximum: 1000000 },
    top_p: { type: "number", minimum: 0, maximum: 1 },
    min_p: { type: "number", minimum: 0, maximum: 1 },
    // -(2 ** 63) and 2 ** 64: the doubles the literals -9223372036854775808 (i64 min) and 18446744073709551615 (u64 max) always parsed to
    seed: { type: "integer", minimum: -(2 ** 63), maximum: 2 ** 64 },
    stop: { type: "array", maxItems: 16, items: { type: "string", maxLength: 1000 } },
    num_ctx: { type: "integer", minimum: 1, maximum: 2147483647 },
    repeat_penalty: { type: "number", minimum: 0, maximum: 10 },
    presence_penalty: { type: "number", minimum: -2, maximum: 2 },
    frequency_penalty: { type: "number", minimum: -2, maximum: 2 },
  },
} as const;

const common = {
  model: modelField,
  format: { anyOf: [{ enum: ["json", ""] }, { type: "object" }] },
  options,
  stream: { type: "boolean" },
  think: { anyOf: [{ type: "boolean" }, { enum: ["high", "medium", "low"] }] },
  keep_alive: { anyOf: [{ type: "string", maxLength: 64 }, { type: "number" }] },
} as const;

const images = { type: "array", maxItems: 64, items: { type: "string" } } as const;

const toolCall = {
  type: "object",
  required: ["function"],
  properties: {
    id: { type: "string", maxLength: 256 },
    function: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", maxLength: 256 },
        arguments: { anyOf: [{ type: "object" }, { type: "string" }] },
        index: { type: "integer" },
      },
    },
  },
} as const;

const message = {
  type: "object",
  required: ["role"],
  properties: {
    role: { enum: ["system", "user", "assistant", "tool"] },
    content: { type: "string" },
    images,
    tool_calls: { type: "array", maxItems: 128, items: toolCall },
    thinking: { type: "string" },
    tool_name: { type: "string", maxLength: 256 },
    tool_call_id: { type: "string", maxLength: 256 },
  },
} as const;

const tool = {
  type: "object",
  required: ["type", "function"],
  properties: {
    type: { const: "function" },
    function: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[a-zA-Z0-9_.-]{1,64}$" },
        description: { type: "string" },
        parameters: { type: "object" },
      },
    },
  },
} as const;

export const chatSchema = {
  summary: "Chat (Ollama API; NDJSON stream unless stream: false)",
  tags: ["ollama"],
  body: {
    type: "object",
    required: ["model"],
    properties: {
      ...common,
      messages: { type: "array", maxItems: 100000, items: message },
      tools: { type: "array", maxItems: 512, items: tool },
    },
  },
  response: errors,
} as const;

export const generateSchema = {
  summary: "Generate (Ollama API; NDJSON stream unless stream: false)",
  tags: ["ollama"],
  body: {
    type: "object",
    required: ["model"],
    properties: {
      ...common,
      prompt: { type: "string" },
      suffix: { type: "string" },
      system: { type: "string" },
      template: { type: "string" },
      raw: { type: "boolean" },
      images,
      context: { type: "array", maxItems: 1000000, items: { type: "integer" } },
    },
  },
  response: errors,
} as const;

const nameBody = (summary: string) => ({
  summary,
  tags: ["ollama"],
  body: {
    type: "object",
    properties: {
      model: modelField,
      name: modelField,
      stream: { type: "boolean" },
      insecure: { type: "boolean" },
      verbose: { type: "boolean" },
    },
    anyOf: [{ required: ["model"] }, { required: ["name"] }],
  },
  response: errors,
});

export const showSchema = nameBody("Show a model's details (Ollama API)");
export const pullSchema = nameBody("Pull a model into the store (Ollama API; needs --allow-pull)");
export const deleteSchema = nameBody("Delete a model from the store (Ollama API; needs --allow-delete)");

export const embedSchema = {
  summary: "Embed texts (Ollama API)",
  tags: ["ollama"],
  body: {
    type: "object",
    required: ["model", "input"],
    properties: {
      model: modelField,
      input: { anyOf: [{ type: "string" }, { type: "array", minItems: 1, maxItems: 2048, items: { type: "string" } }] },
      truncate: { type: "boolean" },
      dimensions: { type: "integer", minimum: 1, maximum: 65536 },
      options,
      keep_alive: common.keep_alive,
    },
  },
  response: errors,
} as const;

export const embeddingsSchema = {
  summary: "Embed one text (Ollama's older API)",
  tags: ["ollama"],
  body: {
    type: "object",
    required: ["model", "prompt"],
    properties: { model: modelField, prompt: { type: "string" }, options, keep_alive: common.keep_alive },
  },
  response: errors,
} as const;

export const listSchema = (summary: string) => ({ summary, tags: ["ollama"], response: errors });
