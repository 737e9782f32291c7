// JSON-schema pieces shared by the OpenAI routes. Fastify validates bodies against these before a
// handler runs, so a wrong type or an out-of-range value is a 400 naming the field. Unknown fields
// are allowed and ignored, as OpenAI clients send fields a local server has no use for.

export const errorResponse = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        message: { type: "string" },
        type: { type: "string" },
        param: { type: ["string", "null"] },
        code: { type: ["string", "null"] },
      },
    },
  },
} as const;

const nullable = <T extends Record<string, unknown>>(s: T) => ({ ...s, type: [s.type as string, "null"] });

export const modelField = { type: "string", minLength: 1, maxLength: 512, description: "model name, as listed by GET /v1/models" } as const;

/** Sampling fields of chat and legacy completions. */
export const samplingProperties = {
  max_tokens: nullable({ type: "integer", minimum: 1, maximum: 2147483647, description: "most tokens to generate" }),
  max_completion_tokens: nullable({
    type: "integer",
    minimum: 1,
    maximum: 2147483647,
    description: "most tokens to generate (newer name of max_tokens)",
  }),
  temperature: nullable({ type: "number", minimum: 0, maximum: 2 }),
  top_p: nullable({ type: "number", minimum: 0, maximum: 1 }),
  top_k: nullable({ type: "integer", minimum: 0, maximum: 1000000, description: "extension: sample from the k most likely tokens" }),
  min_p: nullable({ type: "number", minimum: 0, maximum: 1, description: "extension: drop tokens under min_p x the top probability" }),
  repetition_penalty: nullable({ type: "number", minimum: 0, maximum: 10, description: "extension: llama.cpp repeat penalty" }),
  presence_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  frequency_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  // -(2 ** 63) and 2 ** 64: the doubles the literals -9223372036854775808 (i64 min) and 18446744073709551615 (u64 max) always parsed to
  seed: nullable({ type: "integer", minimum: -(2 ** 63), maximum: 2 ** 64 }),
  stop: {
    anyOf: [
      { type: "string", maxLength: 1000 },
      { type: "array", maxItems: 16, items: { type: "string", maxLength: 1000 } },
      { type: "null" },
    ],
  },
  logit_bias: {
    type: ["object", "null"],
    maxProperties: 1024,
    propertyNames: { pattern: "^[0-9]{1,9}$" },
    additionalProperties: { type: "number", minimum: -100, maximum: 100 },
  },
  ignore_eos: nullable({
    type: "boolean",
    description: "extension (llama.cpp's server): never end on an end token; generate to max_tokens",
  }),
  n: nullable({ type: "integer", minimum: 1, maximum: 128 }),
  logprobs: { type: ["boolean", "integer", "null"] },
  grammar: nullable({ type: "string", maxLength: 1000000, description: "extension: a GBNF grammar the output must follow" }),
  stream: nullable({ type: "boolean" }),
  stream_options: {
    type: ["object", "null"],
    properties: { include_usage: { type: ["boolean", "null"] } },
  },
} as const;

export const usageSchema = {
  type: "object",
  properties: { prompt_tokens: { type: "integer" }, completion_tokens: { type: "integer" }, total_tokens: { type: "integer" } },
} as const;
