// Schema of POST /v1/chat/completions (OpenAI's chat completion request).
import { errorResponse, modelField, samplingProperties } from "./common.ts";

const textPart = { type: "object", required: ["type", "text"], properties: { type: { const: "text" }, text: { type: "string" } } } as const;
const imagePart = {
  type: "object",
  required: ["type", "image_url"],
  properties: {
    type: { const: "image_url" },
    image_url: {
      anyOf: [
        { type: "string" },
        { type: "object", required: ["url"], properties: { url: { type: "string" }, detail: { type: "string" } } },
      ],
    },
  },
} as const;
const audioPart = {
  type: "object",
  required: ["type", "input_audio"],
  properties: {
    type: { const: "input_audio" },
    input_audio: { type: "object", required: ["data"], properties: { data: { type: "string" }, format: { type: "string" } } },
  },
} as const;

const toolCall = {
  type: "object",
  required: ["id", "function"],
  properties: {
    id: { type: "string", maxLength: 256 },
    type: { const: "function" },
    function: {
      type: "object",
      required: ["name", "arguments"],
      properties: { name: { type: "string", maxLength: 256 }, arguments: { type: "string" } },
    },
  },
} as const;

const message = {
  type: "object",
  required: ["role"],
  properties: {
    role: { enum: ["system", "developer", "user", "assistant", "tool"] },
    content: {
      anyOf: [{ type: "string" }, { type: "null" }, { type: "array", maxItems: 256, items: { anyOf: [textPart, imagePart, audioPart] } }],
    },
    name: { type: "string", maxLength: 256 },
    tool_calls: { type: ["array", "null"], maxItems: 128, items: toolCall },
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
        strict: { type: ["boolean", "null"] },
      },
    },
  },
} as const;

export const responseFormat = {
  anyOf: [
    { type: "null" },
    {
      type: "object",
      required: ["type"],
      properties: {
        type: { enum: ["text", "json_object", "json_schema"] },
        json_schema: {
          type: "object",
          properties: {
            name: { type: "string" },
            description: { type: "string" },
            schema: { type: "object" },
            strict: { type: ["boolean", "null"] },
          },
        },
      },
    },
  ],
} as const;

export const chatCompletionSchema = {
  summary: "Create a chat completion (OpenAI compatible)",
  tags: ["openai"],
  body: {
    type: "object",
    required: ["model", "messages"],
    properties: {
      model: modelField,
      messages: { type: "array", minItems: 1, maxItems: 100000, items: message },
      ...samplingProperties,
      response_format: responseFormat,
      tools: { type: ["array", "null"], maxItems: 512, items: tool },
      tool_choice: {
        anyOf: [
          { type: "null" },
          { enum: ["none", "auto", "required"] },
          {
            type: "object",
            required: ["type", "function"],
            properties: {
              type: { const: "function" },
              function: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
            },
          },
        ],
      },
      parallel_tool_calls: { type: ["boolean", "null"] },
    },
  },
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;
