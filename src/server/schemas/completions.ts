// Schema of POST /v1/completions (OpenAI's legacy text completion request).
import { errorResponse, modelField, samplingProperties } from "./common.ts";
import { responseFormat } from "./chat.ts";

export const completionSchema = {
  summary: "Create a text completion (OpenAI legacy API)",
  tags: ["openai"],
  body: {
    type: "object",
    required: ["model", "prompt"],
    properties: {
      model: modelField,
      prompt: {
        anyOf: [
          { type: "string" },
          { type: "array", minItems: 1, maxItems: 64, items: { type: "string" } },
          { type: "array", minItems: 1, items: { type: "integer" } },
          { type: "array", minItems: 1, items: { type: "array", items: { type: "integer" } } },
        ],
      },
      ...samplingProperties,
      echo: { type: ["boolean", "null"] },
      suffix: { type: ["string", "null"] },
      best_of: { type: ["integer", "null"], minimum: 1, maximum: 128 },
      response_format: responseFormat,
    },
  },
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;
