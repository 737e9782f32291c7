// What bench:server, bench:flush, bench:dialects and bench:stall share: one streamed run as the client timed
// it, its decode speed, the median over reps, the prompts the reps rotate through, prompts of a given
// length, and a streamed completion timed from the client.

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

/** One streamed `POST /v1/completions` (`body` without `stream`), timed from the client: each text
 * chunk's arrival, and the completion tokens the closing usage chunk counts. */
export async function streamCompletion(base: string, body: Record<string, unknown>): Promise<Run> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let first: number | undefined;
  let last = 0;
  let tokens = 0;
  const chunksMs: number[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const bytes of res.body!) {
    buffer += decoder.decode(bytes, { stream: true });
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end < 0) break;
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const chunk = JSON.parse(event.slice(6));
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
      if (chunk.choices?.[0]?.text) {
        last = performance.now() - t0;
        first ??= last;
        chunksMs.push(last);
      }
    }
  }
  return { ttftMs: first ?? Number.NaN, firstMs: first ?? Number.NaN, lastMs: last, tokens, chunksMs };
}

export const PROMPTS = ["Hello world", "The quick brown fox", "Once upon a time", "In the beginning", "Dear friend"];
