import { test } from "node:test";
import assert from "node:assert/strict";
import { searchSpace, threadCandidates } from "../../src/bench/tune.ts";
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
});
