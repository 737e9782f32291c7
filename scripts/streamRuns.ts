// What bench:server, bench:dialects and bench:stall share: one streamed run as the client timed it, its decode
// speed, the median over reps, the prompts the reps rotate through, and prompts of a given length.

export interface Run {
  ttftMs: number;
  tokens: number;
  /** ms from request start to first and last text chunk */
  firstMs: number;
  lastMs: number;
  /** ms from request start to each text chunk, where the client kept them */
  chunksMs?: number[];
}

/** Tokens after the first, over the time from the first text chunk to the last. */
export const decodeSpeed = (r: Run) => (r.tokens - 1) / ((r.lastMs - r.firstMs) / 1000);

/** Concurrent runs' text chunks per second while all of them were streaming: from the last run's
 * first chunk to the first run's last, as llama-batched-bench's S_TG times only the steps where every
 * sequence generates (no run's prompt, start or end inside). NaN where the runs never all overlapped;
 * an error for a run without chunk times. */
export function overlapSpeed(runs: Run[]): number {
  const from = Math.max(...runs.map((r) => r.firstMs));
  const to = Math.min(...runs.map((r) => r.lastMs));
  if (!(to > from)) return Number.NaN;
  const inside = runs.reduce((n, r) => {
    if (!r.chunksMs) throw new Error("overlapSpeed needs each run's chunk times (chunksMs)");
    return n + r.chunksMs.filter((t) => t > from && t <= to).length;
  }, 0);
  return inside / ((to - from) / 1000);
}

/** The middle value, or the mean of the two middle ones. */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A text of at least `tokens` tokens as `tokenize` counts them: `start`, then words drawn by a
 * generator seeded from `start`, so each start gives a text of its own. */
export async function promptOfLength(tokenize: (text: string) => Promise<unknown[]>, start: string, tokens: number): Promise<string> {
  const words = ["river", "stone", "lamp", "cloud", "orange", "window", "quiet", "market", "silver", "garden", "train", "paper"];
  let rnd = [...start].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 2147483647, 7) || 1;
  let text = start;
  while ((await tokenize(text)).length < tokens) {
    rnd = (rnd * 48271) % 2147483647;
    text += ` ${words[rnd % words.length]}`;
  }
  return text;
}

export const PROMPTS = ["Hello world", "The quick brown fox", "Once upon a time", "In the beginning", "Dear friend"];
