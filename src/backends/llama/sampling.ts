// hearth's sampling options in node-llama-cpp's terms (the options LlamaChat and LlamaCompletion share).
import { TokenBias, type LlamaModel, type LLamaContextualRepeatPenalty } from "node-llama-cpp";
import type { SamplingOptions } from "../../model/tasks/text.ts";
import { HearthError } from "../../errors/HearthError.ts";

export interface EngineSampling {
  temperature: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  repeatPenalty: false | LLamaContextualRepeatPenalty;
  tokenBias?: TokenBias;
  customStopTriggers?: string[];
}

/** Default temperature when none is given (as the SamplingOptions type documents). */
export const DEFAULT_TEMPERATURE = 0.8;

export function engineSampling(s: SamplingOptions = {}, model: LlamaModel): EngineSampling {
  const temperature = s.temperature ?? DEFAULT_TEMPERATURE;
  if (!(temperature >= 0))
    throw new HearthError("bad_input", `temperature must be 0 or more, got ${s.temperature}`, { hint: "0 means greedy" });
  if (s.topP !== undefined && !(s.topP > 0 && s.topP <= 1)) throw new HearthError("bad_input", `top_p must be in (0, 1], got ${s.topP}`);
  if (s.maxTokens !== undefined && !(Number.isInteger(s.maxTokens) && s.maxTokens > 0)) {
    throw new HearthError("bad_input", `max tokens must be a positive integer, got ${s.maxTokens}`);
  }
  const penalised = s.repeatPenalty !== undefined || s.presencePenalty !== undefined || s.frequencyPenalty !== undefined;
  return {
    temperature,
    topP: s.topP,
    topK: s.topK,
    minP: s.minP,
    // without a seed node-llama-cpp seeds from the clock; greedy decoding ignores it
    seed: s.seed,
    // llama.cpp applies no penalty unless asked; neither do we (greedy output then matches llama.cpp's)
    repeatPenalty: penalised
      ? { penalty: s.repeatPenalty ?? 1, presencePenalty: s.presencePenalty, frequencyPenalty: s.frequencyPenalty, penalizeNewLine: true }
      : false,
    tokenBias: s.logitBias ? tokenBias(s.logitBias, model) : undefined,
    customStopTriggers: s.stop?.filter((t) => t.length > 0),
  };
}

function tokenBias(bias: Record<number, number>, model: LlamaModel): TokenBias {
  const tb = new TokenBias(model.tokenizer);
  for (const [id, value] of Object.entries(bias)) {
    const token = Number(id);
    if (!Number.isInteger(token) || token < 0)
      throw new HearthError("bad_input", `logit bias key "${id}" is not a token id`, { hint: "keys are token ids (integers)" });
    // -Infinity (or a huge negative bias, as OpenAI clients send -100) forbids the token
    tb.set(token as never, value === -Infinity || value <= -100 ? "never" : { logit: value });
  }
  return tb;
}
