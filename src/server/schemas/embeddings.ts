// Schemas of POST /v1/embeddings (OpenAI) and POST /v1/rerank (Jina / Cohere shape, as llama.cpp serves it).
import { errorResponse, modelField } from "./common.ts";

export const embeddingsSchema = {
  summary: "Create embeddings (OpenAI compatible)",
  tags: ["openai"],
  body: {
    type: "object",
    required: ["model", "input"],
    properties: {
      model: modelField,
      input: {
        anyOf: [
          { type: "string" },
          { type: "array", minItems: 1, maxItems: 2048, items: { type: "string" } },
          { type: "array", minItems: 1, items: { type: "integer" } },
          { type: "array", minItems: 1, items: { type: "array", items: { type: "integer" } } },
        ],
      },
      encoding_format: { enum: ["float", "base64", null] },
      dimensions: { type: ["integer", "null"], minimum: 1, maximum: 65536 },
      user: { type: "string" },
    },
  },
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;

export const rerankSchema = {
  summary: "Rerank documents against a query",
  tags: ["rerank"],
  body: {
    type: "object",
    required: ["model", "query", "documents"],
    properties: {
      model: modelField,
      query: { type: "string", minLength: 1 },
      documents: {
        type: "array",
        minItems: 1,
        maxItems: 10000,
        items: { anyOf: [{ type: "string" }, { type: "object", required: ["text"], properties: { text: { type: "string" } } }] },
      },
      top_n: { type: ["integer", "null"], minimum: 1 },
      return_documents: { type: ["boolean", "null"] },
    },
  },
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;
