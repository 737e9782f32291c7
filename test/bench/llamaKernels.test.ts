// Which kernels each side of a llama-bench comparison ran, read from llama.cpp's own log lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ensureFixture } from "../../fixtures/index.ts";
import { DEFAULT_LLAMA_BENCH, PREBUILT_LLAMA_BENCH } from "../../src/bench/llamaBench.ts";
import { describeKernels, kernelMismatch, llamaBenchKernels, parseKernels, prebuiltKernels } from "../../src/bench/llamaKernels.ts";

const AMX_LOG = `load_backend: loaded CPU backend from /x/bins/linux-x64/libggml-cpu-sapphirerapids.so
load_tensors:          AMX model buffer size =   350.12 MiB
load_tensors:   CPU_Mapped model buffer size =    21.11 MiB
system_info: n_threads = 2 | CPU : SSE3 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | REPACK = 1 |`;
const REPACK_LOG = `load_tensors:   CPU_REPACK model buffer size =   350.12 MiB
load_tensors:   CPU_Mapped model buffer size =    21.11 MiB`;

test("the variant, instruction sets and weight buffers are read from llama.cpp's log", () => {
  const k = parseKernels(AMX_LOG);
  assert.deepEqual(k, {
    variant: "sapphirerapids",
    features: ["SSE3", "AVX512", "AVX512_VNNI", "AMX_INT8", "LLAMAFILE", "REPACK"],
    bufferTypes: ["AMX", "CPU_Mapped"],
  });
  assert.equal(describeKernels(k), "sapphirerapids, weights in AMX+CPU_Mapped buffers");
  assert.equal(describeKernels(parseKernels(REPACK_LOG)), "static build, weights in CPU_Mapped+CPU_REPACK buffers");
});

test("weights in different buffer types are different kernels: no ratio; the same buffers compare", () => {
  assert.match(
    kernelMismatch(parseKernels(AMX_LOG), parseKernels(REPACK_LOG))!,
    /hearth's weights in AMX buffers, llama-bench's in CPU_REPACK/,
  );
  assert.equal(kernelMismatch(parseKernels(AMX_LOG), parseKernels(AMX_LOG.replace(/load_backend.*\n/, ""))), undefined);
});

test("node-llama-cpp's prebuilt reports the CPU variant it loaded and where the weights went", async () => {
  const k = await prebuiltKernels(await ensureFixture("tiny"));
  assert.ok(k.bufferTypes.length > 0, "at least one weight buffer");
  assert.ok(k.features.includes("SSE3") || process.arch !== "x64", `features ${k.features}`);
  if (process.arch === "x64" && process.platform === "linux")
    assert.match(k.variant ?? "", /^[a-z0-9_.]+$/, "a libggml-cpu-<variant>.so was loaded");
});

test("llama-bench reports its weight buffers", {
  skip: !existsSync(DEFAULT_LLAMA_BENCH) && "llama-bench is not built (bash scripts/build-llama-bench.sh)",
}, async () => {
  const k = await llamaBenchKernels(DEFAULT_LLAMA_BENCH, await ensureFixture("tiny"));
  assert.ok(k.bufferTypes.length > 0, `buffers ${k.bufferTypes}`);
});

// scripts/build-llama-bench.sh's second llama-bench, linked against node-llama-cpp's prebuilt libraries
test("the llama-bench on the prebuilt libraries loads the variant the SDK loads, with the same weight buffers", {
  skip: !existsSync(PREBUILT_LLAMA_BENCH) && "llama-bench on the prebuilt is not built (bash scripts/build-llama-bench.sh)",
}, async () => {
  const tiny = await ensureFixture("tiny");
  const [theirs, ours] = await Promise.all([llamaBenchKernels(PREBUILT_LLAMA_BENCH, tiny), prebuiltKernels(tiny)]);
  assert.equal(theirs.variant, ours.variant);
  assert.equal(kernelMismatch(ours, theirs), undefined);
});
