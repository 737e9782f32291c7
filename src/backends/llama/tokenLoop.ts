// A generation in the helper's token loop (native/llama-threads/token-loop.cc): prefill, then decode and
// sample each token in C++ on the context's own thread, the tokens streamed here as they come. It
// takes the requests whose sampling keeps no per-token state in JavaScript (a repeat penalty's and a
// grammar's state are native and advance in the loop; stop strings are watched here, and end the
// loop a token or two later); the generations of
// several sequences of a context are decoded together, one batch per step, as llama.cpp's server does; the others go through node-llama-cpp's
// LlamaCompletion and LlamaChat as before (generate.ts).
//
// node-llama-cpp keeps its own record of what each sequence holds (its tokens and next position); the
// loop writes cells it does not see, so this file brings the record in step afterwards, as
// node-llama-cpp's own decode does. node-llama-cpp is pinned exactly and its internals used here are
// checked before use; where they differ the request takes the usual path.
import {
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  LlamaGrammarEvaluationState,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { contextLoopOf, type ContextLoop, type LoopEnd } from "./contextThreads.ts";
import type { EngineSampling } from "./sampling.ts";
import { readEnv } from "../../config/env.ts";

/** node-llama-cpp's internals the loop reads and keeps in step (3.21.1). */
interface SequenceInternals {
  _sequenceId: number;
  _contextTokens: Token[];
  _nextTokenIndex: number;
  _loadedTokenPredictions: unknown[];
  _tokenPredictor?: unknown;
  _tokenMeter: { useTokens(tokens: number, type: "input" | "output"): void };
  needsCheckpoints: boolean;
  _resolveSamplerConfig(options: Record<string, unknown>): Record<string, unknown>;
}

interface ModelInternals {
  _model: object;
  _llama: { _bindings: { AddonSampler: new (model: object) => { applyConfig(config: object): void; dispose(): void } } };
}

/** How many of the last generated tokens a repeat penalty looks at, unless it says (node-llama-cpp's default). */
const DEFAULT_PUNISHED = 64;

export interface LoopRun {
  stop: LoopEnd["stop"];
  /** every token delivered, in order (an end token is not one) */
  tokens: Token[];
}

export class TokenLoop {
  private extraStops?: Token[];

  private constructor(
    private readonly loop: ContextLoop,
    private readonly context: LlamaContext,
    private readonly model: LlamaModel,
    /** the thread count for one-token steps now (the engine's pinned or measured count) */
    private readonly decodeThreads: () => number,
  ) {}

  /** The context's token loop, where the helper attached to it. */
  static of(context: LlamaContext, model: LlamaModel, decodeThreads: () => number): TokenLoop | undefined {
    const loop = contextLoopOf(context);
    return loop ? new TokenLoop(loop, context, model, decodeThreads) : undefined;
  }

  /** Why this request cannot take the loop, or undefined when it can. */
  refuses(sequence: LlamaContextSequence, sampling: EngineSampling): string | undefined {
    const penalty = sampling.repeatPenalty;
    // the loop punishes every token it samples; node-llama-cpp's filters of the punished tokens are JavaScript
    if (penalty !== false && (penalty.punishTokensFilter != null || penalty.penalizeNewLine === false))
      return "a repeat penalty that filters the punished tokens";
    const s = sequence as unknown as Partial<SequenceInternals>;
    if (
      typeof s._sequenceId !== "number" ||
      !Array.isArray(s._contextTokens) ||
      typeof s._nextTokenIndex !== "number" ||
      !Array.isArray(s._loadedTokenPredictions)
    )
      return "node-llama-cpp's sequence has another shape";
    if (typeof s._resolveSamplerConfig !== "function" || typeof s._tokenMeter?.useTokens !== "function")
      return "node-llama-cpp's sequence has another shape";
    if (s._tokenPredictor != null || s._loadedTokenPredictions.length > 0) return "a token predictor";
    if (s.needsCheckpoints) return "a model whose state needs checkpoints";
    return undefined;
  }

  /**
   * Generates on `sequence` after `prompt`, reusing the cells it holds of the prompt's start. `onToken`
   * gets each token and when it was sampled (performance.now() time; the token reaches JavaScript
   * later, possibly after the loop has ended) and returns false to end the loop; `signal` ends the loop after the token it is on. Call only
   * where refuses() said nothing. `stopTokens` end it besides the model's end tokens; a `grammar`
   * constrains each token as node-llama-cpp's sampler does (its evaluation state is native).
   */
  async run(
    sequence: LlamaContextSequence,
    prompt: Token[],
    sampling: EngineSampling,
    {
      maxTokens,
      stopTokens,
      grammar,
      signal,
    }: { maxTokens: number; stopTokens: readonly Token[]; grammar?: LlamaGrammar; signal?: AbortSignal },
    onToken: (token: Token, at: number) => boolean | undefined,
    /** after each batch of tokens the loop delivered at once */
    onBatch?: () => void,
  ): Promise<LoopRun> {
    const s = sequence as unknown as SequenceInternals;
    // keep the longest shared start (generate.ts's withSequence has already let go of a lone first
    // token: sequencePool.ts's keptStart); the prompt's last token is decoded again for its logits
    await this.parked(() => sequence.adaptStateToTokens(prompt.slice(0, -1), false));
    const start = sequence.nextTokenIndex;
    const input = prompt.slice(start);
    const m = this.model as unknown as ModelInternals;
    const sampler = new m._llama._bindings.AddonSampler(m._model);
    const tokens: Token[] = [];
    // once stopped (abort, or the caller's no), tokens still in flight are recorded but not handed on
    let stopped = false;
    const stop = () => {
      stopped = true;
      this.loop.stop(s._sequenceId);
    };
    signal?.addEventListener("abort", stop, { once: true });
    let evaluated = 0;
    try {
      sampler.applyConfig(
        s._resolveSamplerConfig({
          temperature: sampling.temperature,
          minP: sampling.minP,
          topK: sampling.topK,
          topP: sampling.topP,
          seed: sampling.seed,
          tokenBias: sampling.tokenBias,
          // the penalties start from no tokens (node-llama-cpp punishes only generated ones), and the
          // loop adds each token it samples, as node-llama-cpp's sampler does (AddonSampler::acceptToken)
          repeatPenalty:
            sampling.repeatPenalty === false
              ? undefined
              : {
                  punishTokens: [],
                  maxPunishTokens: sampling.repeatPenalty.lastTokens ?? DEFAULT_PUNISHED,
                  penalty: sampling.repeatPenalty.penalty,
                  frequencyPenalty: sampling.repeatPenalty.frequencyPenalty,
                  presencePenalty: sampling.repeatPenalty.presencePenalty,
                },
          grammarEvaluationState: grammar ? new LlamaGrammarEvaluationState({ model: this.model, grammar }) : undefined,
        }),
      );
      if (signal?.aborted) return { stop: "abort", tokens };
      const stallMs = readEnv().streamStallMs;
      const called = performance.now();
      const end = await this.loop.generate(
        sampler,
        Uint32Array.from(input),
        {
          sequence: s._sequenceId,
          position: start,
          maxTokens,
          // as node-llama-cpp's own decode: the last cell stays free
          positionLimit: this.context.contextSize - 1,
          // the context's own count for prompts (its current count is whatever a decode step set last)
          decodeThreads: Math.min(this.decodeThreads(), this.context.idealThreads),
          batchThreads: this.context.idealThreads,
          stopTokens: Uint32Array.from(stopTokens),
          ...(stallMs !== undefined ? { maxStallMs: stallMs } : {}),
        },
        (sampled, ms) => {
          for (let i = 0; i < sampled.length; i++) {
            tokens.push(sampled[i] as Token);
            if (stopped) continue;
            try {
              if (onToken(sampled[i] as Token, called + ms[i]) === false) stop();
            } catch {
              stop();
            }
          }
          onBatch?.();
        },
      );
      evaluated = end.evaluated;
      return { stop: end.stop, tokens };
    } catch (e) {
      evaluated = typeof (e as { evaluated?: unknown }).evaluated === "number" ? (e as { evaluated: number }).evaluated : 0;
      // a failed decode may leave cells in any state: record them, then clear the sequence
      this.record(s, [...input, ...tokens].slice(0, evaluated), input.length);
      evaluated = 0;
      await this.parked(() => sequence.clearHistory()).catch(() => undefined);
      throw e;
    } finally {
      signal?.removeEventListener("abort", stop);
      sampler.dispose();
      if (evaluated > 0) this.record(s, [...input, ...tokens].slice(0, evaluated), input.length);
    }
  }

  /** Runs node-llama-cpp calls that change a sequence's cells where the loop waits, without blocking (ContextLoop.parked). */
  parked<T>(change: () => Promise<T>): Promise<T> {
    return this.loop.parked(change);
  }

  /** node-llama-cpp's record of the sequence, as its own decode keeps it (LlamaContextSequence._decodeTokens). */
  private record(s: SequenceInternals, decoded: Token[], promptTokens: number): void {
    if (decoded.length === 0) return;
    s._nextTokenIndex += decoded.length;
    s._contextTokens = s._contextTokens.concat(decoded);
    // node-llama-cpp's meter: a token whose logits were read is output, the others input
    const input = Math.max(0, Math.min(promptTokens, decoded.length) - 1);
    s._tokenMeter.useTokens(input, "input");
    s._tokenMeter.useTokens(decoded.length - input, "output");
  }

  /** End tokens node-llama-cpp's completion adds for some models (getExtraCompletionEosTokens). */
  completionStopTokens(): readonly Token[] {
    if (this.extraStops) return this.extraStops;
    const extra: Token[] = [];
    const arch = this.model.fileInfo.metadata?.general?.architecture as string | undefined;
    if (arch === "gemma" || arch === "gemma2") {
      for (const token of this.model.iterateAllTokens()) {
        const text = this.model.detokenize([token], true);
        if (text === "<|file_separator|>" || text === "<|fim_prefix|>") extra.push(token);
        if (extra.length === 2) break;
      }
    }
    this.extraStops = extra;
    return extra;
  }
}
