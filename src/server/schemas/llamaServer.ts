// Schemas of llama-server's utility routes (/tokenize, /detokenize, /apply-template, /props).
// `model` is an extension: llama-server serves one model, hearth may serve several (default: the
// first text model given to `hearth serve`).
import { errorResponse } from "./common.ts";

const model = {
  type: "string",
  minLength: 1,
  maxLength: 512,
  description: "extension: which served model (default: the first text model)",
} as const;
const errors = { "4xx": errorResponse, "5xx": errorResponse } as const;

export const tokenizeSchema = {
  summary: "Tokenize text (llama-server compatible)",
  tags: ["llama.cpp"],
  body: {
    type: "object",
    required: ["content"],
    properties: {
      content: { type: "string", maxLength: 10_000_000 },
      add_special: { type: "boolean" },
      parse_special: { type: "boolean" },
      with_pieces: { type: "boolean" },
      model,
    },
  },
  response: errors,
} as const;

export const detokenizeSchema = {
  summary: "Token ids to text (llama-server compatible)",
  tags: ["llama.cpp"],
  body: {
    type: "object",
    required: ["tokens"],
    properties: { tokens: { type: "array", maxItems: 1_000_000, items: { type: "integer", minimum: 0, maximum: 2147483647 } }, model },
  },
  response: errors,
} as const;

export const applyTemplateSchema = {
  summary: "Render OpenAI chat messages through the model's chat template (llama-server compatible)",
  tags: ["llama.cpp"],
  body: {
    type: "object",
    required: ["messages"],
    properties: {
      messages: {
        type: "array",
        minItems: 1,
        maxItems: 100000,
        items: { type: "object", required: ["role"], properties: { role: { enum: ["system", "developer", "user", "assistant", "tool"] } } },
      },
      tools: { type: "array", maxItems: 512, items: { type: "object", required: ["type", "function"] } },
      model,
    },
  },
  response: errors,
} as const;

export const propsSchema = {
  summary: "The served model's properties: context size, modalities, chat template, build (llama-server compatible)",
  tags: ["llama.cpp"],
  querystring: { type: "object", properties: { model } },
  response: errors,
} as const;
