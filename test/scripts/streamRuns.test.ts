// scripts/streamRuns.ts: how bench:server turns streamed runs into the figures set against llama.cpp's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeSpeed, overlapSpeed, type Run } from "../../scripts/streamRuns.ts";

/** a run whose chunks arrive every `every` ms from `first` on, `n` of them */
function run(first: number, every: number, n: number): Run {
  const chunksMs = Array.from({ length: n }, (_, i) => first + i * every);
  return { ttftMs: first, firstMs: first, lastMs: chunksMs[n - 1], tokens: n, chunksMs };
}

test("overlapSpeed counts only the window where every run streams, as llama-batched-bench's S_TG does", () => {
  // two streams of 10 ms a token; the second starts 500 ms late (a prompt of its own went first), so
  // the first stream's own speed holds that wait
  const a = run(0, 10, 101); // 0..1000 ms
  const b = run(500, 10, 101); // 500..1500 ms
  // from 500 to 1000 ms: a has 50 chunks (510..1000), b 50 (510..1000 after its first at 500)
  assert.equal(overlapSpeed([a, b]), 200);
  assert.equal(decodeSpeed(a) + decodeSpeed(b), 200, "here each stream's own speed agrees");

  // the first stream slowed while the second's prompt went beside it: 40 ms a token for its first
  // 500 ms, then 10 as before
  const slow: Run = {
    ...a,
    chunksMs: [...Array.from({ length: 13 }, (_, i) => i * 40), ...Array.from({ length: 50 }, (_, i) => 510 + i * 10)],
  };
  slow.lastMs = slow.chunksMs![slow.chunksMs!.length - 1];
  slow.tokens = slow.chunksMs!.length;
  assert.equal(overlapSpeed([slow, b]), 200, "the steps before the second stream's first token are not counted");
  assert.ok(decodeSpeed(slow) + decodeSpeed(b) < 170, "the per-stream sum counts them");
});

test("overlapSpeed is NaN when the runs never all streamed at once, and refuses runs without chunk times", () => {
  assert.ok(Number.isNaN(overlapSpeed([run(0, 10, 11), run(500, 10, 11)])));
  const bare = { ...run(0, 10, 11), chunksMs: undefined };
  assert.throws(() => overlapSpeed([bare, run(0, 10, 11)]), /chunk times/);
});
