// What bench:server and bench:dialects share: one streamed run as the client timed it, its decode
// speed, the median over reps, and the prompts the reps rotate through.

export interface Run {
  ttftMs: number;
  tokens: number;
  /** ms from request start to first and last text chunk */
  firstMs: number;
  lastMs: number;
}

/** Tokens after the first, over the time from the first text chunk to the last. */
export const decodeSpeed = (r: Run) => (r.tokens - 1) / ((r.lastMs - r.firstMs) / 1000);

/** The middle value, or the mean of the two middle ones. */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const PROMPTS = ["Hello world", "The quick brown fox", "Once upon a time", "In the beginning", "Dear friend"];
