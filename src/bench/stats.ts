// Summary statistics of repeated measurements.
//
// Percentiles use the nearest-rank method: the p-th percentile of n sorted samples is the sample at
// rank ceil(p/100 * n) (1-based). It always returns a value that was really measured, and with few
// samples it is honest: with 1 sample p95 is that sample, with 2 or 5 samples it is the worst one.
//
// "p95" here always means the bad tail: for latencies (lower is better) the 95th percentile; for
// rates such as tokens/s (higher is better) the value 95% of repetitions met or beat, i.e. the 5th
// percentile. So "median 30 tok/s, p95 27 tok/s" reads the same way as "median 40 ms, p95 55 ms".

export interface Summary {
  n: number;
  median: number;
  /** the bad tail (see above) */
  p95: number;
  min: number;
  max: number;
  mean: number;
}

export type Direction = "lower-is-better" | "higher-is-better";

function sorted(samples: readonly number[]): number[] {
  return samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

/** Nearest-rank percentile (0 < p <= 100) of finite samples; undefined when there are none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const s = sorted(samples);
  if (s.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1];
}

/** The middle sample, or the mean of the two middle ones. */
export function median(samples: readonly number[]): number | undefined {
  const s = sorted(samples);
  if (s.length === 0) return undefined;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median, bad-tail p95, min, max and mean; undefined when no sample is finite. */
export function summarize(samples: readonly number[], direction: Direction = "lower-is-better"): Summary | undefined {
  const s = sorted(samples);
  if (s.length === 0) return undefined;
  return {
    n: s.length,
    median: median(s)!,
    p95: direction === "lower-is-better" ? percentile(s, 95)! : percentile(s, 5)!,
    min: s[0],
    max: s[s.length - 1],
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}
