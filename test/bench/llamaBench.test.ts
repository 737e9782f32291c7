import { test } from "node:test";
import assert from "node:assert/strict";
import { llamaBenchArgs, parseLlamaBench } from "../../src/bench/llamaBench.ts";

test("llama-bench gets the same cell: lengths, threads, batch, flash attention, KV type, GPU layers", () => {
  const s = { promptTokens: 512, genTokens: 128, reps: 3 };
  assert.deepEqual(llamaBenchArgs("/m.gguf", { model: "/m.gguf", device: "cpu", threads: 2 }, s), [
    "-m",
    "/m.gguf",
    "-p",
    "512",
    "-n",
    "128",
    "-r",
    "3",
    "-o",
    "json",
    "-t",
    "2",
    "-ngl",
    "0",
  ]);
  const gpu = llamaBenchArgs(
    "/m.gguf",
    { model: "/m.gguf", device: "gpu", batchSize: 256, flashAttention: true, kvCacheType: "q8_0", gpuLayers: 20 },
    s,
  );
  assert.deepEqual(gpu.slice(10), ["-b", "256", "-fa", "on", "-ctk", "q8_0", "-ctv", "q8_0", "-ngl", "20"]);
  assert.deepEqual(llamaBenchArgs("/m.gguf", { model: "/m.gguf", device: "gpu", gpuLayers: "max" }, s).slice(-2), ["-ngl", "999"]);
});

test("llama-bench's JSON gives the median prompt and generation speeds", () => {
  const out = JSON.stringify([
    { n_prompt: 512, n_gen: 0, avg_ts: 200, samples_ts: [190, 230, 210] },
    { n_prompt: 0, n_gen: 128, avg_ts: 30, samples_ts: [29, 31] },
  ]);
  assert.deepEqual(parseLlamaBench(out), { prefillTokensPerSec: 210, decodeTokensPerSec: 30 });
  assert.deepEqual(parseLlamaBench("[]"), { prefillTokensPerSec: undefined, decodeTokensPerSec: undefined });
});
