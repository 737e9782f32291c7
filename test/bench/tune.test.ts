import { test } from "node:test";
import assert from "node:assert/strict";
import { batchCandidates, clearlyFaster, searchSpace, threadCandidates, type TuneTrial } from "../../src/bench/tune.ts";
import { ensureFixture } from "../../fixtures/index.ts";

test("tune's search space: thread counts up to the cores, llama.cpp settings for GGUF, GPU layers first on a GPU", async () => {
  assert.deepEqual(threadCandidates(2), [2, 1]);
  assert.deepEqual(threadCandidates(4), [4, 3, 2, 1]);
  assert.deepEqual(threadCandidates(16), [16, 12, 8, 4, 2, 1]);
  const tiny = await ensureFixture("tiny");
  const cpu = await searchSpace(tiny, "gguf", "cpu");
  assert.deepEqual(Object.keys(cpu), ["threads", "batchSize", "flashAttention", "kvCacheType"]);
  assert.deepEqual(cpu.kvCacheType, ["f16", "q8_0"]);
  const gpu = await searchSpace(tiny, "gguf", "gpu");
  assert.deepEqual(Object.keys(gpu)[0], "gpuLayers");
  assert.deepEqual(gpu.gpuLayers, ["max", 2, 1]); // the tiny model has 2 layers
  assert.deepEqual(Object.keys(await searchSpace("x.onnx", "onnx", "cpu")), ["threads"]);
  // a prompt long enough for every batch size to matter: all three are tried, the default first
  assert.deepEqual((await searchSpace(tiny, "gguf", "cpu", 4096)).batchSize, [512, 128, 2048]);
});

test("tune tries only the batch sizes its prompt can tell apart", () => {
  // every size at or above the prompt's length decodes it in one batch: only the default is timed
  assert.deepEqual(batchCandidates(128), [512]);
  assert.deepEqual(batchCandidates(16), [512]);
  assert.deepEqual(batchCandidates(300), [512, 128]);
  assert.deepEqual(batchCandidates(1024), [512, 128, 2048]);
  assert.deepEqual(batchCandidates(512), [512, 128]);
  assert.deepEqual(batchCandidates(513), [512, 128, 2048]);
});

test("a setting replaces the kept one only when clearly faster: a lower median and its slowest repetition under the kept median", () => {
  const trialOf = (median: number, max: number, ok = true): TuneTrial => ({
    settings: {},
    score: ok ? median : undefined,
    result: { ok, errors: 0, latencyMs: { n: 2, median, p95: max, min: 2 * median - max, max, mean: median } } as TuneTrial["result"],
  });
  const kept = trialOf(3.3, 3.4);
  // 3% faster in its median, but one repetition slower than the kept median: noise, the default stays
  assert.equal(clearlyFaster(trialOf(3.2, 3.35), kept), false);
  // faster in every repetition: taken
  assert.equal(clearlyFaster(trialOf(3.2, 3.25), kept), true);
  assert.equal(clearlyFaster(trialOf(2.0, 2.1), kept), true);
  // slower, or failed: never
  assert.equal(clearlyFaster(trialOf(3.5, 3.6), kept), false);
  assert.equal(clearlyFaster(trialOf(1, 1, false), kept), false);
  // a kept setting that failed gives way to any that worked
  assert.equal(clearlyFaster(trialOf(9, 12), trialOf(0, 0, false)), true);
});
