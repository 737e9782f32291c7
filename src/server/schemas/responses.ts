// Schema of POST /v1/responses (OpenAI's Responses API).
import { errorResponse, modelField } from "./common.ts";

const nullable = (s: Record<string, unknown>) => ({ anyOf: [s, { type: "null" }] });

const part = {
  type: "object",
  required: ["type"],
  properties: {
    type: { enum: ["input_text", "output_text", "input_image", "refusal", "input_file", "input_audio"] },
    text: { type: "string" },
    image_url: { type: "string" },
    file_id: { type: "string" },
    detail: { type: "string" },
    refusal: { type: "string" },
  },
} as const;

const item = {
  type: "object",
  properties: {
    type: {
      enum: [
        "message",
        "function_call",
        "function_call_output",
        "reasoning",
        "item_reference",
        "file_search_call",
        "web_search_call",
        "computer_call",
        "computer_call_output",
      ],
    },
    role: { enum: ["user", "assistant", "system", "developer"] },
    content: { anyOf: [{ type: "string" }, { type: "array", maxItems: 1024, items: part }] },
    call_id: { type: "string", maxLength: 256 },
    name: { type: "string", maxLength: 256 },
    arguments: { type: "string" },
    output: { anyOf: [{ type: "string" }, { type: "array", maxItems: 1024, items: part }] },
  },
  allOf: [
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
    { if: { properties: { type: { const: "function_call" } }, required: ["type"] }, then: { required: ["call_id", "name", "arguments"] } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
    { if: { properties: { type: { const: "function_call_output" } }, required: ["type"] }, then: { required: ["call_id", "output"] } },
    {
      if: { anyOf: [{ not: { required: ["type"] } }, { properties: { type: { const: "message" } } }] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
      then: { required: ["role", "content"] },
    },
  ],
} as const;

const tool = {
  type: "object",
  required: ["type"],
  properties: {
    type: { type: "string" },
    name: { type: "string", pattern: "^[a-zA-Z0-9_.-]{1,64}$" },
    description: { type: ["string", "null"] },
    parameters: { type: ["object", "null"] },
    strict: { type: ["boolean", "null"] },
  },
} as const;

const format = {
  type: "object",
  required: ["type"],
  properties: {
    type: { enum: ["text", "json_object", "json_schema"] },
    name: { type: "string" },
    description: { type: "string" },
    schema: { type: "object" },
    strict: { type: ["boolean", "null"] },
  },
} as const;

export const responsesSchema = {
  summary: "Create a model response (OpenAI Responses API; nothing is stored)",
  tags: ["openai"],
  body: {
    type: "object",
    required: ["model", "input"],
    properties: {
      model: modelField,
      input: { anyOf: [{ type: "string" }, { type: "array", minItems: 1, maxItems: 100000, items: item }] },
      instructions: { type: ["string", "null"] },
      tools: { type: ["array", "null"], maxItems: 512, items: tool },
      tool_choice: nullable({
        anyOf: [
          { enum: ["none", "auto", "required"] },
          { type: "object", required: ["type"], properties: { type: { type: "string" }, name: { type: "string" } } },
        ],
      }),
      parallel_tool_calls: { type: ["boolean", "null"] },
      text: nullable({ type: "object", properties: { format: nullable(format) } }),
      max_output_tokens: { type: ["integer", "null"], minimum: 1, maximum: 2147483647 },
      temperature: { type: ["number", "null"], minimum: 0, maximum: 2 },
      top_p: { type: ["number", "null"], minimum: 0, maximum: 1 },
      reasoning: nullable({ type: "object", properties: { effort: { type: ["string", "null"] }, summary: { type: ["string", "null"] } } }),
      stream: { type: ["boolean", "null"] },
      previous_response_id: { type: ["string", "null"] },
      store: { type: ["boolean", "null"] },
      metadata: { type: ["object", "null"] },
    },
  },
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;
