// The latency-anomaly rule: a device whose decode speed falls under a third of what the plan
// expects, for 3 requests in a row, is failing (thermal throttling, a GPU driver falling back to a
// slow path, memory pressure). The expectation is a measured profile's speed; without one, the
// median of the first 3 requests on this device becomes the baseline.
export interface LatencyVerdict {
  anomaly: boolean;
  expected?: number;
  /** the speeds of the slow streak (tok/s) */
  streak: number[];
}

export class LatencyWatch {
  private slow: number[] = [];
  private firsts: number[] = [];

  constructor(
    private expected: number | undefined,
    private ratio = 1 / 3,
    private streakLength = 3,
  ) {}

  get expectation(): number | undefined {
    return this.expected;
  }

  observe(tokensPerSec: number): LatencyVerdict {
    if (this.expected === undefined) {
      this.firsts.push(tokensPerSec);
      if (this.firsts.length === this.streakLength)
        this.expected = [...this.firsts].sort((a, b) => a - b)[Math.floor(this.streakLength / 2)];
      return { anomaly: false, streak: [] };
    }
    if (tokensPerSec < this.expected * this.ratio) this.slow.push(tokensPerSec);
    else this.slow = [];
    const anomaly = this.slow.length >= this.streakLength;
    const verdict = { anomaly, expected: this.expected, streak: [...this.slow] };
    if (anomaly) this.slow = [];
    return verdict;
  }
}

/**
 * Decode speed of one generation as the caller saw it: generated tokens over the wall time after the
 * first token (the engine's time to first token taken off). Measured here, not taken from the
 * engine's own profile, so a slow hand-off (a starved runner, a stalled pipe) counts too; engines
 * that deliver text in bursts make per-event timing meaningless, so the whole request is used.
 */
export function decodeSpeed(completionTokens: number, ttftMs: number | undefined, wallMs: number): number | undefined {
  const decodeMs = wallMs - (ttftMs ?? 0);
  if (completionTokens < 4 || decodeMs <= 0) return undefined;
  return (completionTokens - 1) / (decodeMs / 1000);
}
