// Decode threads: one thread where a token is too little work to split, all of them where it is not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DecodeThreadChooser, decodeThreadsSetting } from "../../../src/backends/llama/threads.ts";

/** Drives a chooser: `ms(t)` is a step's time on t threads; the first step after a switch costs 45 ms. */
function driver(c: DecodeThreadChooser) {
  let last = -1;
  return (ms: (t: number) => number, steps: number) =>
    Array.from({ length: steps }, () => {
      const t = c.next();
      c.took(t, t !== last ? 45 : ms(t));
      last = t;
      return t;
    });
}

test("a model that decodes faster on one thread moves there within its first steps, and rarely looks back", () => {
  // the prebuilt build on a 2-core VM, tiny fixture: 0.35 ms a step on one thread, 10 on two
  const c = new DecodeThreadChooser(2);
  const used = driver(c)((t) => (t === 1 ? 0.35 : 10), 8192);
  assert.ok(
    used.slice(16).every((t, i) => t === 1 || i > 100),
    "on one thread from the first look on",
  );
  assert.equal(c.threadsNow, 1);
  const twoSteps = used.slice(16).filter((t) => t === 2).length;
  // looks back off while the other count is far slower: a few steps per thousands, not 3 per 128
  assert.ok(twoSteps <= 20, `${twoSteps} steps on two threads in 8176`);
});

test("a model that decodes faster on all threads stays there", () => {
  const c = new DecodeThreadChooser(4);
  const used = driver(c)((t) => (t === 4 ? 9 : 30), 1024);
  assert.equal(c.threadsNow, 4);
  assert.ok(used.filter((t) => t === 4).length > 0.98 * used.length);
});

test("looks that keep the count come less and less often: a few per thousand steps once settled", () => {
  // the bench fixture with the OpenMP build: 2 threads 14 ms a step, 1 thread 28 (not far apart)
  const c = new DecodeThreadChooser(2);
  const used = driver(c)((t) => (t === 2 ? 14 : 28), 8192);
  const oneThread = used.filter((t) => t === 1).length;
  // every 128 steps would be 3 x 64 = 192 slow steps; doubling up to 1024 leaves about 30
  assert.ok(oneThread <= 40, `${oneThread} steps on one thread in 8192`);
  assert.ok(used.slice(4096).includes(1), "it still looks now and then");
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
  const after = Array.from({ length: 2048 }, () => step(busy));
  assert.ok(after.slice(1024).filter((t) => t === 1).length > 0.9 * 1024, "it moved to one thread");
  // and it goes back once the other process is gone (its looks back off while 2 threads are far slower)
  const back = Array.from({ length: 2048 }, () => step(alone));
  assert.ok(back.slice(1024).filter((t) => t === 2).length > 0.9 * 1024, "back on two threads");
});

test("the settings show the count the chooser uses now, also once serialised", () => {
  const c = new DecodeThreadChooser(2);
  const settings = decodeThreadsSetting(c, { threads: 2 });
  assert.equal(settings.decodeThreads, 2);
  driver(c)((t) => (t === 1 ? 1 : 20), 64);
  assert.equal(settings.decodeThreads, 1);
  assert.deepEqual(JSON.parse(JSON.stringify(settings)), { threads: 2, decodeThreads: 1 });
  assert.deepEqual(decodeThreadsSetting(3, { threads: 4 }), { threads: 4, decodeThreads: 3 });
});
