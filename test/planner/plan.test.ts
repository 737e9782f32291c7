// The planner's choices for machines this one is not: synthetic device descriptions in, plans out.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { BackendDescriptor } from "../../src/backends/types.ts";
import type { StoredProfile } from "../../src/bench/profileStore.ts";
import { HearthError } from "../../src/errors/HearthError.ts";
import type { ModelFacts } from "../../src/formats/ggufFacts.ts";
import { plan } from "../../src/planner/plan.ts";
import type { PlanMachine, PlanModel } from "../../src/planner/types.ts";

const GiB = 1024 ** 3;

const llama: BackendDescriptor = {
  name: "llama",
  formats: ["gguf"],
  modelTypes: ["llm", "embedder", "reranker"],
  tasks: ["chat", "complete", "embed", "rerank"],
  devices: ["cpu", "gpu"],
};
const onnx: BackendDescriptor = {
  name: "onnx",
  formats: ["onnx"],
  modelTypes: ["cv", "embedder"],
  tasks: ["ocr", "detect", "embed"],
  devices: ["cpu", "gpu", "npu"],
};

// an 8B-class model: 32 layers, 4096 wide, 8 KV heads of 32, 8 GiB of Q8_0 weights, trained on 8192
const facts8b: ModelFacts = {
  architecture: "llama",
  layers: 32,
  embeddingLength: 4096,
  headCount: 32,
  headCountKv: 8,
  contextLength: 8192,
  parameters: 8e9,
  quant: "Q8_0",
};
const model8b: PlanModel = {
  format: "gguf",
  type: "llm",
  primary: "/m/8b.gguf",
  sha256: "a".repeat(64),
  facts: facts8b,
  weightsBytes: 8 * GiB,
};

function machine(opts: { vramGiB?: number; ramGiB?: number; npu?: boolean } = {}): PlanMachine {
  const gpu = opts.vramGiB !== undefined;
  const vram = (opts.vramGiB ?? 0) * GiB;
  return {
    cpu: { model: "Test CPU 9000", physicalCores: 8, logicalCores: 16 },
    memory: { totalBytes: (opts.ramGiB ?? 32) * GiB, freeBytes: (opts.ramGiB ?? 32) * GiB * 0.9 },
    gpus: gpu ? [{ index: 0, name: "Test GPU", vendor: "nvidia", apis: ["cuda"], memoryTotalBytes: vram, memoryFreeBytes: vram }] : [],
    gpuApis: gpu
      ? [{ api: "cuda", available: true, devices: ["Test GPU"], memoryTotalBytes: vram, memoryFreeBytes: vram }]
      : [{ api: "cuda", available: false, reason: "no driver" }],
    npus: opts.npu ? [{ kind: "intel-npu", name: "Intel NPU", source: "/dev/accel/accel0" }] : [],
    backends: {
      llama: [
        { device: "cpu", api: "cpu", available: true },
        gpu ? { device: "gpu", api: "cuda", available: true } : { device: "gpu", api: "cuda", available: false, reason: "no CUDA" },
      ],
      onnx: [
        { device: "cpu", api: "cpu", available: true },
        { device: "npu", api: "OpenVINOExecutionProvider", available: !!opts.npu, reason: opts.npu ? undefined : "no NPU" },
      ],
    },
  };
}

test("a 4 GB GPU and an 8 GB model: partial offload of the layers that fit, CPU as the fallback", () => {
  const p = plan({ model: model8b, machine: machine({ vramGiB: 4 }), descriptors: [llama, onnx] });
  assert.equal(p.device, "gpu");
  assert.equal(p.chosen.fit, "partial");
  assert.equal(typeof p.gpuLayers, "number");
  const n = p.gpuLayers as number;
  assert.ok(n > 0 && n < 32, `gpuLayers ${n}`);
  // the layers that fit: about 4 GiB of a 8 GiB model, less the reserve
  assert.ok(n >= 10 && n <= 16, `gpuLayers ${n} for 4 GiB of VRAM`);
  assert.equal(p.threads, 8);
  assert.match(p.reasons.join("\n"), /partly fits in GPU memory.*\d+ of 32 layers/);
  assert.deepEqual(
    p.fallbackChain.map((c) => `${c.backend}/${c.device}`),
    ["llama/gpu", "llama/cpu"],
  );
});

test("a 24 GB GPU: every layer on the GPU, the trained context", () => {
  const p = plan({ model: model8b, machine: machine({ vramGiB: 24 }), descriptors: [llama] });
  assert.equal(p.device, "gpu");
  assert.equal(p.chosen.fit, "full");
  assert.equal(p.gpuLayers, 33, "all 32 blocks and the output layer");
  assert.equal(p.contextSize, 8192);
  assert.equal(p.kvCacheType, "f16");
  assert.match(p.reasons.join("\n"), /fits in GPU memory/);
});

test("an engine that sizes GPU offload itself (node-llama-cpp) gets gpuLayers auto; hearth's estimate only ranks the device", () => {
  const sizing: BackendDescriptor = { ...llama, sizesGpuOffload: true };
  const partial = plan({ model: model8b, machine: machine({ vramGiB: 4 }), descriptors: [sizing] });
  assert.deepEqual([partial.device, partial.chosen.fit, partial.gpuLayers], ["gpu", "partial", "auto"]);
  assert.match(
    partial.reasons.join("\n"),
    /\d+ of 32 layers on the GPU, the rest on the CPU; llama sizes the offload itself \(gpuLayers auto\)/,
  );
  const full = plan({ model: model8b, machine: machine({ vramGiB: 24 }), descriptors: [sizing] });
  assert.deepEqual([full.chosen.fit, full.gpuLayers, full.contextSize], ["full", "auto", 8192]);
  // the ranking still comes from the estimate: a GPU too small for one layer leaves the CPU first
  const none = plan({ model: model8b, machine: machine({ vramGiB: 0.6 }), descriptors: [sizing] });
  assert.equal(none.device, "cpu");
  assert.equal(none.gpuLayers, 0);
  // an engine without its own estimate keeps hearth's layer count
  assert.equal(typeof plan({ model: model8b, machine: machine({ vramGiB: 4 }), descriptors: [llama] }).gpuLayers, "number");
});

test("a GPU that fits the weights but not the full context: context capped by GPU memory", () => {
  const big: PlanModel = { ...model8b, facts: { ...facts8b, contextLength: 131072 } };
  const p = plan({ model: big, machine: machine({ vramGiB: 12 }), descriptors: [llama] });
  assert.equal(p.chosen.fit, "full");
  assert.ok(p.contextSize! < 131072 && p.contextSize! >= 4096, `context ${p.contextSize}`);
  assert.match(p.reasons.join("\n"), /capped by GPU memory/);
});

test("no GPU: CPU with threads = physical cores, context the trained one", () => {
  const p = plan({ model: model8b, machine: machine(), descriptors: [llama] });
  assert.equal(p.device, "cpu");
  assert.equal(p.threads, 8);
  assert.equal(p.contextSize, 8192);
  assert.deepEqual(
    p.fallbackChain.map((c) => c.device),
    ["cpu"],
    "an unusable GPU is no fallback",
  );
  const gpu = p.alternatives.find((c) => c.device === "gpu")!;
  assert.equal(gpu.usable, false);
  assert.match(gpu.reasons.join(" "), /no GPU found/);
});

test("a model larger than the RAM and no GPU: insufficient_memory with a hint", () => {
  const huge = { ...model8b, weightsBytes: 70 * GiB };
  assert.throws(
    () => plan({ model: huge, machine: machine({ ramGiB: 16 }), descriptors: [llama] }),
    (e: unknown) => e instanceof HearthError && e.code === "insufficient_memory" && !!e.hint,
  );
});

test("a context the user sets whose KV cache outgrows all the machine's memory is insufficient_memory at once; one that could fit, or a cache the estimate overstates, is left to the load", () => {
  const box = machine({ ramGiB: 16, vramGiB: 24 });
  // 128 KiB of f16 KV cache a token: a million tokens is 122 GiB against 40
  assert.throws(
    () => plan({ model: model8b, machine: box, descriptors: [llama], overrides: { settings: { contextSize: 1_000_000 } } }),
    (e: unknown) =>
      e instanceof HearthError &&
      e.code === "insufficient_memory" &&
      /1000000 tokens needs about 122(\.\d)? GiB.*40(\.\d)? GiB/.test(e.message) &&
      !!e.hint,
  );
  // two sequences of 200,000 tokens: 49 GiB
  assert.throws(
    () => plan({ model: model8b, machine: box, descriptors: [llama], overrides: { settings: { contextSize: 200_000, parallel: 2 } } }),
    (e: unknown) => e instanceof HearthError && e.code === "insufficient_memory" && /each of 2 sequences/.test(e.message),
  );
  const fits = plan({ model: model8b, machine: box, descriptors: [llama], overrides: { settings: { contextSize: 200_000 } } });
  assert.equal(fits.chosen.options.contextSize, 200_000);
  // a q4_0 cache (34 GiB), and an architecture with sliding-window layers, whose cache the estimate overstates
  for (const settings of [{ contextSize: 1_000_000, kvCacheType: "q4_0" as const }, { contextSize: 1_000_000 }]) {
    const model = settings.kvCacheType ? model8b : { ...model8b, facts: { ...facts8b, architecture: "gemma3" } };
    try {
      plan({ model, machine: box, descriptors: [llama], overrides: { settings } });
    } catch (e) {
      assert.doesNotMatch(String(e), /needs about/, JSON.stringify(settings));
    }
  }
});

test("an NPU whose engine runs only ONNX is not chosen for GGUF, and is chosen for ONNX", () => {
  const gg = plan({ model: model8b, machine: machine({ npu: true }), descriptors: [llama, onnx] });
  assert.equal(gg.device, "cpu");
  assert.ok(!gg.alternatives.some((c) => c.device === "npu"), "no NPU candidate for a GGUF model");
  const cvModel: PlanModel = { format: "onnx", type: "cv", primary: "/m/det.onnx", weightsBytes: 5e6 };
  const cv = plan({ model: cvModel, machine: machine({ npu: true }), descriptors: [llama, onnx] });
  assert.equal(cv.device, "npu");
  assert.equal(cv.backend, "onnx");
  assert.equal(cv.chosen.api, "OpenVINOExecutionProvider");
  assert.deepEqual(
    cv.fallbackChain.map((c) => c.device),
    ["npu", "cpu"],
  );
  // without the NPU, the same model runs on the CPU
  assert.equal(plan({ model: cvModel, machine: machine(), descriptors: [onnx] }).device, "cpu");
});

test("a stored profile for this model file and device wins over the static rule, and says so", () => {
  const m = machine({ vramGiB: 4 });
  const cpuKey = "cpu:Test CPU 9000:8c";
  const profile: StoredProfile = {
    modelSha256: model8b.sha256!,
    deviceKey: cpuKey,
    backend: "llama",
    device: "cpu",
    settings: { threads: 6, batchSize: 256 },
    decodeTokensPerSec: 12.5,
    measuredAt: "2026-11-01T00:00:00Z",
  };
  const p = plan({ model: model8b, machine: m, descriptors: [llama], profiles: [profile] });
  assert.equal(p.device, "cpu", "the measured CPU beats the static partial-offload rule");
  assert.equal(p.threads, 6);
  assert.equal(p.batchSize, 256);
  assert.equal(p.chosen.measured, true);
  assert.equal(p.chosen.expectedDecodeTokensPerSec, 12.5);
  assert.match(p.reasons.join("\n"), /measured profile wins over the static rule: 12\.5 tok\/s/);
  // a profile for another machine's CPU does not apply
  const other = plan({ model: model8b, machine: m, descriptors: [llama], profiles: [{ ...profile, deviceKey: "cpu:Other:4c" }] });
  assert.equal(other.device, "gpu");
});

test("a remembered failure is tried last, and --device / --strict shape the chain", () => {
  const m = machine({ vramGiB: 24 });
  const remembered = [{ backend: "llama", device: "gpu" as const, reason: "load failed: out of memory", at: "2026-11-25T00:00:00Z" }];
  const p = plan({ model: model8b, machine: m, descriptors: [llama], remembered });
  assert.equal(p.device, "cpu");
  assert.deepEqual(
    p.fallbackChain.map((c) => c.device),
    ["cpu", "gpu"],
  );
  assert.match(p.alternatives[1].reasons[0], /failed here before.*out of memory.*--reset/);

  const forced = plan({ model: model8b, machine: machine(), descriptors: [llama], overrides: { device: "gpu" } });
  assert.equal(forced.device, "gpu", "the user's device comes first even where hearth expects it to fail");
  assert.deepEqual(
    forced.fallbackChain.map((c) => c.device),
    ["gpu", "cpu"],
  );
  const strict = plan({ model: model8b, machine: machine(), descriptors: [llama], overrides: { device: "gpu", strict: true } });
  assert.deepEqual(
    strict.fallbackChain.map((c) => c.device),
    ["gpu"],
  );
  assert.equal(strict.strict, true);
});

test("user settings win on every candidate; an unknown or unfit backend is a clear error", () => {
  const p = plan({ model: model8b, machine: machine(), descriptors: [llama], overrides: { settings: { threads: 3, contextSize: 1024 } } });
  assert.equal(p.threads, 3);
  assert.equal(p.contextSize, 1024);
  assert.match(p.reasons.join("\n"), /threads 3: set by you/);
  assert.doesNotMatch(p.reasons.join("\n"), /threads 8/);
  assert.throws(
    () => plan({ model: model8b, machine: machine(), descriptors: [llama], overrides: { backend: "nope" } }),
    (e: unknown) => e instanceof HearthError && e.code === "bad_input",
  );
  assert.throws(
    () => plan({ model: model8b, machine: machine(), descriptors: [llama, onnx], overrides: { backend: "onnx" } }),
    (e: unknown) => e instanceof HearthError && e.code === "unsupported_architecture",
  );
  assert.throws(
    () => plan({ model: model8b, machine: machine(), descriptors: [llama], overrides: { device: "npu" } }),
    (e: unknown) => e instanceof HearthError && e.code === "backend_unavailable",
  );
});

test("GPU memory unknown: offload every layer and say the fact is unknown", () => {
  const m = machine({ vramGiB: 8 });
  m.gpus[0].memoryTotalBytes = m.gpus[0].memoryFreeBytes = undefined;
  m.gpuApis[0].memoryTotalBytes = m.gpuApis[0].memoryFreeBytes = undefined;
  const p = plan({ model: model8b, machine: m, descriptors: [llama] });
  assert.equal(p.device, "gpu");
  assert.equal(p.gpuLayers, "max");
  assert.equal(p.chosen.fit, "unknown");
  assert.match(p.reasons.join("\n"), /GPU memory unknown/);
});

test("an engine that runs text models by choice (llama-mm) is planned only where named or measured faster", () => {
  const llamaMm: BackendDescriptor = {
    name: "llama-mm",
    formats: ["gguf"],
    modelTypes: ["vlm"],
    tasks: ["chat", "complete"],
    devices: ["cpu", "gpu"],
  };
  const m = machine();
  const cpuKey = "cpu:Test CPU 9000:8c";
  // not named, not measured: the text engine alone, and no llama-mm in the fallback chain
  const plain = plan({ model: model8b, machine: m, descriptors: [llama, llamaMm] });
  assert.equal(plain.backend, "llama");
  assert.ok(
    plain.fallbackChain.every((c) => c.backend === "llama"),
    plain.fallbackChain.map((c) => c.backend).join(","),
  );
  // named: it runs the text model, and says why it is not the default
  const named = plan({ model: model8b, machine: m, descriptors: [llama, llamaMm], overrides: { backend: "llama-mm" } });
  assert.equal(named.backend, "llama-mm");
  assert.match(named.reasons.join("\n"), /runs text models only where named or measured/);
  // measured on both engines: the faster decode wins, the other stays in the chain
  const profile = (backend: string, decode: number): StoredProfile => ({
    modelSha256: model8b.sha256!,
    deviceKey: cpuKey,
    backend,
    device: "cpu",
    settings: { threads: 1 },
    decodeTokensPerSec: decode,
    measuredAt: "2026-11-25T00:00:00Z",
  });
  const mmFaster = plan({
    model: model8b,
    machine: m,
    descriptors: [llama, llamaMm],
    profiles: [profile("llama", 3500), profile("llama-mm", 9000)],
  });
  assert.equal(mmFaster.backend, "llama-mm");
  assert.deepEqual(
    mmFaster.fallbackChain.map((c) => c.backend),
    ["llama-mm", "llama"],
  );
  const llamaFaster = plan({
    model: model8b,
    machine: m,
    descriptors: [llama, llamaMm],
    profiles: [profile("llama", 70), profile("llama-mm", 24)],
  });
  assert.equal(llamaFaster.backend, "llama");
  // a VLM engine never runs embedding models, named or not
  assert.throws(
    () => plan({ model: { ...model8b, type: "embedder" }, machine: m, descriptors: [llama, llamaMm], overrides: { backend: "llama-mm" } }),
    (e: unknown) => e instanceof HearthError && e.code === "unsupported_architecture",
  );
});
