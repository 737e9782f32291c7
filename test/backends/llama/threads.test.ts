// Decode threads: one thread where a token is too little work to split, all of them where it is not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DecodeThreadChooser, decodeThreadsFor } from "../../../src/backends/llama/threads.ts";

test("small models decode on one thread, large ones on all", () => {
  assert.equal(decodeThreadsFor(1, 8e9), 1);
  assert.equal(decodeThreadsFor(2, 160_000), 1); // tiny fixture
  assert.equal(decodeThreadsFor(2, 371e6), 1); // bench fixture: measured faster on one of two threads
  assert.equal(decodeThreadsFor(8, 4.1e9), 8); // a 7B Q4 model
  assert.equal(decodeThreadsFor(2, 4.1e9), 2);
});

test("with persistent threads (local OpenMP build) a model splits unless a token is too little work", () => {
  assert.equal(decodeThreadsFor(2, 371e6, true), 2); // bench fixture: 19.1 -> 14.1 ms/token on two
  assert.equal(decodeThreadsFor(2, 160_000, true), 1); // tiny fixture: 0.40 ms on one, 0.65 on two
  assert.equal(decodeThreadsFor(1, 371e6, true), 1);
  assert.equal(decodeThreadsFor(2, 371e6, false), 1);
});

test("the decode-thread chooser keeps the faster count, looks at the other now and then, and follows a change", () => {
  const c = new DecodeThreadChooser(2);
  // alone: 2 threads take 14 ms, 1 thread 19 ms; the first step after a switch is slow and ignored
  let last = -1;
  const step = (ms: (t: number) => number) => {
    const t = c.next();
    c.took(t, t !== last ? 45 : ms(t));
    last = t;
    return t;
  };
  const alone = (t: number) => (t === 2 ? 14 : 19);
  const used = Array.from({ length: 512 }, () => step(alone));
  assert.ok(used.includes(1), "it tried one thread");
  assert.ok(used.filter((t) => t === 2).length > 0.9 * used.length, "and stayed on two, the faster");
  // another process arrives: 2 threads now take 40 ms, 1 thread 25 ms
  const busy = (t: number) => (t === 2 ? 40 : 25);
  const after = Array.from({ length: 512 }, () => step(busy));
  assert.ok(after.slice(256).filter((t) => t === 1).length > 0.9 * 256, "it moved to one thread");
  // and it goes back once the other process is gone
  const back = Array.from({ length: 512 }, () => step(alone));
  assert.ok(back.slice(256).filter((t) => t === 2).length > 0.9 * 256, "back on two threads");
});
