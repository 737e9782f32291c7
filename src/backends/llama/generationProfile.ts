// A generation's clock and profile: when the first and last tokens came, and the speeds they give.
import type { LlamaContextSequence } from "node-llama-cpp";
import type { GenerationResult } from "../../model/tasks/text.ts";

/** Times one generation: first token, end; tokens generated (from the sequence's token meter, which
 * also counts the tokens of tool calls that node-llama-cpp does not pass to onToken). */
export class Clock {
  readonly t0 = performance.now();
  first?: number;
  last?: number;
  private streamed = 0;
  private readonly outputBefore: number;
  constructor(private sequence: LlamaContextSequence) {
    this.outputBefore = sequence.tokenMeter.usedOutputTokens;
  }
  /** `n` tokens came at `at` (by default now) */
  token(n: number, at = performance.now()) {
    this.first ??= at;
    if (n > 0) this.last = at;
    this.streamed += n;
  }
  /** tokens the caller saw; with `unstreamed`, also those of tool calls (the meter may count one
   * token sampled past the end, so it is used only when calls were made) */
  generated = (unstreamed = false): number =>
    unstreamed ? Math.max(this.streamed, this.sequence.tokenMeter.usedOutputTokens - this.outputBefore) : this.streamed;
}

export function profileOf(
  clock: Clock,
  generated: number,
  promptTokens: number,
  evaluatedPrompt: number,
  device: string,
): GenerationResult["profile"] {
  const end = performance.now();
  const ttft = (clock.first ?? end) - clock.t0;
  // from the first token to the last: generated - 1 decode steps
  const decodeMs = (clock.last ?? end) - (clock.first ?? end);
  return {
    ttftMs: ttft,
    prefillTokensPerSec: evaluatedPrompt > 0 && ttft > 0 ? (evaluatedPrompt / ttft) * 1000 : undefined,
    // the first token comes out of prefill; decode speed counts the ones after it
    decodeTokensPerSec: generated > 1 && decodeMs > 0 ? ((generated - 1) / decodeMs) * 1000 : undefined,
    promptTokens,
    generatedTokens: generated,
    totalMs: end - clock.t0,
    device,
  };
}

/** Tokens left for the answer: never more than fit, so the context never shifts under a generation. */
export function tokenBudget(maxTokens: number | undefined, promptTokens: number, contextSize: number): { max: number } {
  const room = contextSize - promptTokens;
  return { max: maxTokens !== undefined ? Math.min(maxTokens, room) : room };
}
