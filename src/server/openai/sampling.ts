// OpenAI sampling fields (and the usual extensions: top_k, min_p, repetition_penalty, grammar, ignore_eos)
// -> our SamplingOptions and OutputConstraint. Shared by chat and legacy completions.
import type { OutputConstraint, SamplingOptions } from "../../model/tasks/text.ts";
import { badParam } from "../errors.ts";

export interface OpenAISamplingFields {
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  min_p?: number | null;
  repetition_penalty?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  logit_bias?: Record<string, number> | null;
  ignore_eos?: boolean | null;
  n?: number | null;
  logprobs?: boolean | number | null;
  grammar?: string | null;
  response_format?: {
    type: "text" | "json_object" | "json_schema";
    json_schema?: { name?: string; schema?: Record<string, unknown>; strict?: boolean | null };
  } | null;
}

// OpenAI's default temperature is 1; an unset field keeps the engine's default instead
export function toSampling(b: OpenAISamplingFields): SamplingOptions {
  if (b.n != null && b.n > 1)
    throw badParam(
      "n",
      `n=${b.n} is not supported: hearth returns one choice per request`,
      "send n=1 (or omit it) and make several requests",
    );
  if (b.logprobs === true || (typeof b.logprobs === "number" && b.logprobs > 0)) {
    throw badParam("logprobs", "logprobs are not supported", "omit logprobs");
  }
  const s: SamplingOptions = {};
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  if (maxTokens != null) s.maxTokens = maxTokens;
  if (b.temperature != null) s.temperature = b.temperature;
  if (b.top_p != null) s.topP = b.top_p;
  if (b.top_k != null) s.topK = b.top_k;
  if (b.min_p != null) s.minP = b.min_p;
  if (b.repetition_penalty != null) s.repeatPenalty = b.repetition_penalty;
  if (b.presence_penalty != null) s.presencePenalty = b.presence_penalty;
  if (b.frequency_penalty != null) s.frequencyPenalty = b.frequency_penalty;
  // OpenAI seeds are 64-bit; engines take 32
  if (b.seed != null) s.seed = Number(BigInt.asUintN(32, BigInt(Math.trunc(b.seed))));
  if (b.stop != null) {
    const stop = (typeof b.stop === "string" ? [b.stop] : b.stop).filter((x) => x.length > 0);
    if (stop.length) s.stop = stop;
  }
  if (b.logit_bias != null) {
    const bias: Record<number, number> = {};
    for (const [k, v] of Object.entries(b.logit_bias)) {
      // OpenAI: -100 bans the token, 100 all but forces it
      bias[Number(k)] = v <= -100 ? -Infinity : v;
    }
    if (Object.keys(bias).length) s.logitBias = bias;
  }
  if (b.ignore_eos) s.ignoreEos = true;
  return s;
}

export function toConstraint(b: OpenAISamplingFields): OutputConstraint | undefined {
  const rf = b.response_format;
  if (b.grammar != null && rf && rf.type !== "text") {
    throw badParam("grammar", "grammar and response_format cannot both constrain the output", "send one of them");
  }
  if (b.grammar != null) {
    if (!b.grammar.trim()) throw badParam("grammar", "grammar is empty", "send a GBNF grammar");
    return { type: "grammar", grammar: b.grammar };
  }
  if (!rf || rf.type === "text") return undefined;
  if (rf.type === "json_object") return { type: "json_object" };
  const schema = rf.json_schema?.schema;
  if (!schema)
    throw badParam(
      "response_format.json_schema.schema",
      "response_format json_schema needs json_schema.schema",
      "give the JSON schema the output must follow",
    );
  return { type: "json_schema", schema };
}
