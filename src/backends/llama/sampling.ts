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
  // a repeat penalty of 1 without presence or frequency penalties is none (llama.cpp's penalties
  // sampler then returns at once)
  const penalised = (s.repeatPenalty !== undefined && s.repeatPenalty !== 1) || !!s.presencePenalty || !!s.frequencyPenalty;
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
    tokenBias: s.logitBias || s.ignoreEos ? tokenBias(s.logitBias ?? {}, model, s.ignoreEos) : undefined,
    customStopTriggers: s.stop?.filter((t) => t.length > 0),
  };
}

function tokenBias(bias: Record<number, number>, model: LlamaModel, ignoreEos = false): TokenBias {
  const tb = new TokenBias(model.tokenizer);
  const ends: [number, number][] = [];
  for (const [id, value] of Object.entries(bias)) {
    const token = Number(id);
    if (!Number.isInteger(token) || token < 0)
      throw new HearthError("bad_input", `logit bias key "${id}" is not a token id`, { hint: "keys are token ids (integers)" });
    // -Infinity (or a huge negative bias, as OpenAI clients send -100) forbids the token
    const logit = value === -Infinity || value <= -100 ? -Infinity : value;
    if (model.isEogToken(token as never)) ends.push([token, logit]);
    else tb.set(token as never, logit === -Infinity ? "never" : { logit });
  }
  if (ignoreEos) for (const t of endTokens(model)) ends.push([t, -Infinity]);
  if (ends.length) {
    const biases = endTokenBiases(tb);
    for (const [token, logit] of ends) biases.set(token, logit);
  }
  return tb;
}

const endTokensOf = new WeakMap<LlamaModel, number[]>();

/** Every end-of-generation token of the model (eos, eot, eom and those llama.cpp knows by their text), found once. */
function endTokens(model: LlamaModel): number[] {
  let ends = endTokensOf.get(model);
  if (!ends) {
    const vocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens;
    const size = Array.isArray(vocab) ? vocab.length : 0;
    ends = [];
    for (let t = 0; t < size; t++) if (model.isEogToken(t as never)) ends.push(t);
    endTokensOf.set(model, ends);
  }
  return ends;
}

/**
 * Where TokenBias keeps its biases, for the end tokens it will not take: its set() skips them ("has no
 * effect"), yet OpenAI's logit_bias and llama.cpp's server apply a bias to any token (banning the end
 * tokens is how a client asks for a minimum length), and the native sampler does too. The map is
 * what node-llama-cpp (pinned) hands the sampler; a release that moves it fails here, loudly.
 */
function endTokenBiases(tb: TokenBias): Map<number, number> {
  const biases = (tb as unknown as { _biases?: unknown })._biases;
  if (!(biases instanceof Map))
    throw new HearthError("internal", "this node-llama-cpp release keeps token biases where hearth cannot set an end token's", {
      hint: "leave the end tokens out of the logit bias, or use the node-llama-cpp release package.json pins",
    });
  return biases as Map<number, number>;
}
