// The planner: model facts + machine facts + measured profiles -> where and how to run, with the
// reasons. Pure: no I/O. Static rules first (fits in GPU memory -> all layers there; partly -> the
// layers that fit; else CPU; threads = physical cores; context = trained context capped by memory);
// then a measured profile for the same model file and device replaces the rule's settings and rank.
import type { BackendDescriptor, LoadOptions } from "../backends/types.ts";
import type { DeviceKind } from "../model/types.ts";
import type { StoredProfile } from "../bench/profileStore.ts";
import { HearthError } from "../errors/HearthError.ts";
import { runsTextByChoice } from "../backends/registry.ts";
import { deviceKey } from "../devices/deviceKey.ts";
import { formatBytes } from "./format.ts";
import { COMPUTE_RESERVE_BYTES, chooseContext, kvBytes, layersThatFit } from "./fit.ts";
import type { Plan, PlanCandidate, PlanInput, PlanMachine, PlanModel } from "./types.ts";

/** used when a model does not say how much context it was trained with */
const DEFAULT_CONTEXT = 4096;
/** a default batch as llama.cpp's micro-batch */
const DEFAULT_BATCH = 512;
/** share of free RAM / VRAM the planner lets one model use */
const RAM_SHARE = 0.8;
const VRAM_SHARE = 0.9;

const SCORE = {
  gpuFull: 1000,
  npu: 800,
  gpuUnknown: 600,
  gpuPartialBase: 200,
  gpuPartialSpan: 600,
  cpu: 200,
  unusable: -1000,
  measured: 10_000,
  forced: 1_000_000,
  remembered: -100_000,
};

const layered = (m: PlanModel) => m.format === "gguf" && !!m.facts?.layers;

function probeFor(machine: PlanMachine, backend: string, device: DeviceKind) {
  const probes = machine.backends[backend];
  if (!probes) return undefined;
  return probes.find((p) => p.device === device && p.available) ?? probes.find((p) => p.device === device);
}

function cpuCandidate(d: BackendDescriptor, input: PlanInput): PlanCandidate {
  const { model, machine } = input;
  const reasons: string[] = [];
  const threads = machine.cpu.physicalCores;
  const options: LoadOptions = { device: "cpu", threads, gpuLayers: 0 };
  const probe = probeFor(machine, d.name, "cpu");
  let usable = probe ? probe.available : true;
  if (probe && !probe.available) reasons.push(`${d.name} cannot use the CPU here: ${probe.reason ?? "probe failed"}`);
  const budget = machine.memory.freeBytes * RAM_SHARE;
  let fit: PlanCandidate["fit"] = "full";
  if (model.weightsBytes > machine.memory.totalBytes) {
    usable = false;
    fit = "none";
    reasons.push(`the weights (${formatBytes(model.weightsBytes)}) exceed the RAM (${formatBytes(machine.memory.totalBytes)})`);
  } else if (model.weightsBytes > budget) {
    reasons.push(
      `the weights (${formatBytes(model.weightsBytes)}) exceed the free RAM (${formatBytes(machine.memory.freeBytes)}): expect swapping`,
    );
  } else {
    reasons.push(`fits in RAM: ${formatBytes(model.weightsBytes)} of weights, ${formatBytes(machine.memory.freeBytes)} free`);
  }
  reasons.push(`threads ${threads}: the physical cores (more threads than cores slows inference down)`);
  if (layered(model)) {
    const trained = model.facts!.contextLength ?? DEFAULT_CONTEXT;
    const ctx = chooseContext(model.facts!, trained, Math.max(0, budget - model.weightsBytes - COMPUTE_RESERVE_BYTES));
    Object.assign(options, { contextSize: ctx.contextSize ?? 512, batchSize: DEFAULT_BATCH, kvCacheType: ctx.kvCacheType });
    reasons.push(contextReason(trained, ctx.contextSize, ctx.kvCacheType, "RAM", model.facts!.contextLength === undefined));
  }
  return {
    backend: d.name,
    device: "cpu",
    api: "cpu",
    deviceName: machine.cpu.model,
    deviceKey: deviceKey({ device: "cpu", cpu: machine.cpu }),
    options,
    fit,
    usable,
    measured: false,
    score: usable ? SCORE.cpu : SCORE.unusable,
    reasons,
  };
}

function contextReason(trained: number, ctx: number | undefined, kv: string, where: string, unknownTrained: boolean): string {
  const t = unknownTrained ? `${trained} (the model does not say its trained context)` : `the trained ${trained}`;
  if (ctx === trained) return `context ${ctx}: ${t}${kv === "q8_0" ? ", with a q8_0 KV cache to fit" : ""}`;
  if (ctx === undefined) return `context 512: even that hardly fits the ${where} left after the weights`;
  return `context ${ctx}: ${t} capped by ${where}${kv === "q8_0" ? " (q8_0 KV cache to keep more)" : ""}`;
}

function gpuCandidate(d: BackendDescriptor, input: PlanInput): PlanCandidate {
  const { model, machine } = input;
  const reasons: string[] = [];
  const probe = probeFor(machine, d.name, "gpu");
  // memory facts come from the hardware probe of the same API where it exists
  const apiProbe =
    machine.gpuApis.find((a) => a.available && (!probe || probe.api.includes(a.api))) ?? machine.gpuApis.find((a) => a.available);
  const gpu = machine.gpus.find((g) => !apiProbe || g.apis.includes(apiProbe.api)) ?? machine.gpus[0];
  const api = apiProbe?.api ?? probe?.api ?? "gpu";
  let usable = true;
  if (!gpu) {
    usable = false;
    reasons.push("no GPU found on this machine");
  }
  if (!probe) {
    usable = false;
    reasons.push(`${d.name} was not probed for GPU use`);
  } else if (!probe.available) {
    usable = false;
    reasons.push(`${d.name} cannot use a GPU here: ${probe.reason ?? "probe failed"}`);
  }
  const threads = machine.cpu.physicalCores;
  const options: LoadOptions = { device: "gpu", threads };
  const free = apiProbe?.memoryFreeBytes ?? gpu?.memoryFreeBytes ?? apiProbe?.memoryTotalBytes ?? gpu?.memoryTotalBytes;
  let fit: PlanCandidate["fit"] = "unknown";
  let score = SCORE.gpuUnknown;
  // engines that size the offload themselves get "auto": hearth's estimate below only ranks the device
  const offload = (n: number | "max") => (d.sizesGpuOffload && layered(model) ? "auto" : n);
  const byEngine = d.sizesGpuOffload && layered(model) ? `; ${d.name} sizes the offload itself (gpuLayers auto)` : "";
  if (free === undefined) {
    options.gpuLayers = offload("max");
    if (usable) reasons.push("GPU memory unknown: offloading every layer and letting the engine report what fits");
  } else {
    const budget = free * VRAM_SHARE - COMPUTE_RESERVE_BYTES;
    if (layered(model)) {
      const facts = model.facts!;
      const trained = facts.contextLength ?? DEFAULT_CONTEXT;
      const afterWeights = budget - model.weightsBytes;
      const ctx = afterWeights > 0 ? chooseContext(facts, trained, afterWeights) : undefined;
      if (ctx?.contextSize !== undefined) {
        fit = "full";
        score = SCORE.gpuFull;
        Object.assign(options, {
          gpuLayers: offload(facts.layers! + 1),
          contextSize: ctx.contextSize,
          batchSize: DEFAULT_BATCH,
          kvCacheType: ctx.kvCacheType,
        });
        reasons.push(
          `fits in GPU memory: ${formatBytes(model.weightsBytes)} of weights, ${formatBytes(free)} free: all ${facts.layers} layers on the GPU${byEngine}`,
        );
        reasons.push(contextReason(trained, ctx.contextSize, ctx.kvCacheType, "GPU memory", facts.contextLength === undefined));
      } else {
        // partial offload: the rest runs on the CPU, so context is capped by RAM
        const ramCtx = chooseContext(facts, trained, Math.max(0, machine.memory.freeBytes * RAM_SHARE - model.weightsBytes));
        const contextSize = Math.min(ramCtx.contextSize ?? 512, 8192, trained);
        const n = layersThatFit(facts, model.weightsBytes, contextSize, budget);
        Object.assign(options, { gpuLayers: offload(n), contextSize, batchSize: DEFAULT_BATCH, kvCacheType: "f16" });
        if (n > 0) {
          fit = "partial";
          score = SCORE.gpuPartialBase + SCORE.gpuPartialSpan * (n / facts.layers!);
          reasons.push(
            `partly fits in GPU memory (${formatBytes(free)} free for ${formatBytes(model.weightsBytes)} of weights): ${n} of ${facts.layers} layers on the GPU, the rest on the CPU${byEngine}`,
          );
          reasons.push(`context ${contextSize}: layers on the CPU keep their KV cache in RAM`);
        } else {
          fit = "none";
          usable = false;
          reasons.push(`not one layer fits in the GPU's ${formatBytes(free)} free`);
        }
      }
    } else if (model.weightsBytes <= budget) {
      fit = "full";
      score = SCORE.gpuFull;
      options.gpuLayers = "max";
      reasons.push(`fits in GPU memory: ${formatBytes(model.weightsBytes)} of weights, ${formatBytes(free)} free`);
    } else {
      fit = "none";
      usable = false;
      reasons.push(`the weights (${formatBytes(model.weightsBytes)}) do not fit the GPU's ${formatBytes(free)} free`);
    }
  }
  return {
    backend: d.name,
    device: "gpu",
    api,
    deviceName: gpu?.name,
    deviceKey: deviceKey({ device: "gpu", api, gpu: { name: gpu?.name } }),
    options,
    fit,
    usable,
    measured: false,
    score: usable ? score : SCORE.unusable,
    reasons,
  };
}

function npuCandidate(d: BackendDescriptor, input: PlanInput): PlanCandidate {
  const { machine, model } = input;
  const probe = probeFor(machine, d.name, "npu");
  const npu = machine.npus[0];
  const reasons: string[] = [];
  let usable = true;
  if (!npu) {
    usable = false;
    reasons.push("no NPU found on this machine");
  }
  if (!probe?.available) {
    usable = false;
    reasons.push(`${d.name} cannot use an NPU here: ${probe?.reason ?? "not probed"}`);
  }
  if (usable) reasons.push(`${npu!.name} through ${probe!.api}: NPUs run ${model.format} models efficiently for ${model.type}`);
  return {
    backend: d.name,
    device: "npu",
    api: probe?.api ?? "npu",
    deviceName: npu?.name,
    deviceKey: deviceKey({ device: "npu", npu: npu ?? { kind: "unknown", name: "unknown" } }),
    options: { device: "npu", threads: machine.cpu.physicalCores },
    fit: "unknown",
    usable,
    measured: false,
    score: usable ? SCORE.npu : SCORE.unusable,
    reasons,
  };
}

function applyProfile(c: PlanCandidate, profiles: StoredProfile[]): void {
  const p = profiles.find((x) => x.deviceKey === c.deviceKey && x.backend === c.backend && x.device === c.device);
  if (!p) return;
  const { device: _ignored, ...settings } = p.settings;
  Object.assign(c.options, settings);
  c.measured = true;
  c.expectedDecodeTokensPerSec = p.decodeTokensPerSec;
  c.usable = true;
  c.score = SCORE.measured + (p.decodeTokensPerSec ?? 0);
  const speed = p.decodeTokensPerSec !== undefined ? `${p.decodeTokensPerSec.toFixed(1)} tok/s decode` : "measured";
  const what = Object.entries(settings)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  c.reasons.unshift(
    `measured profile wins over the static rule: ${speed} with ${what || "default settings"} (measured ${p.measuredAt.slice(0, 10)})`,
  );
}

/** the first word of the reason a setting has, so a user's setting replaces the planner's */
const REASON_WORD: Record<string, string> = { contextSize: "context", threads: "threads" };

/** Candidate order: NPU before GPU before CPU at equal score, then the registry's engine order. */
const DEVICE_ORDER: Record<DeviceKind, number> = { npu: 0, gpu: 1, cpu: 2 };

const lists = (d: BackendDescriptor, model: Pick<PlanModel, "format" | "type">) =>
  d.formats.includes(model.format) && d.modelTypes.includes(model.type);

/** The engines that may run this model: those that list its format and type, and an engine that runs
 * text models by choice (llama-mm) where it is named or was measured (`measured`: engines with a
 * profile for this model). planModel probes these; plan() ranks them. */
export function enginesToPlan(
  descriptors: BackendDescriptor[],
  model: Pick<PlanModel, "format" | "type">,
  named: string | undefined,
  measured: ReadonlySet<string>,
): BackendDescriptor[] {
  return descriptors.filter((d) => lists(d, model) || (runsTextByChoice(d, model) && (named === d.name || measured.has(d.name))));
}

/**
 * Architectures whose every layer caches keys and values for the whole context, as the estimate
 * (fit.ts kvBytes) assumes; others (sliding windows, compressed or recurrent caches) need less.
 */
const FULL_ATTENTION = new Set(["llama", "qwen2", "qwen3", "phi3", "granite"]);

/**
 * A context the user set whose KV cache alone is more than all the memory of the machine (RAM and
 * every GPU's together) cannot load anywhere: refused here at once. llama.cpp's own check
 * (node-llama-cpp's simulated context) took 90 s to refuse a context of 400 million tokens.
 */
function refuseImpossibleContext(input: PlanInput): void {
  const settings = input.overrides?.settings;
  const facts = input.model.facts;
  if (!settings?.contextSize || !facts?.architecture || !FULL_ATTENTION.has(facts.architecture)) return;
  const cells = settings.contextSize * Math.max(1, settings.parallel ?? 1);
  // the smallest a cache type can make it (q4_0: 4.5 bits for 16)
  const kv = settings.kvCacheType === "q4_0" ? (kvBytes(facts, cells) * 4.5) / 16 : kvBytes(facts, cells, settings.kvCacheType ?? "f16");
  const all =
    input.machine.memory.totalBytes + input.machine.gpus.reduce((n, g) => n + (g.unifiedMemory ? 0 : (g.memoryTotalBytes ?? 0)), 0);
  if (kv <= all) return;
  throw new HearthError(
    "insufficient_memory",
    `a context of ${settings.contextSize} tokens${cells > settings.contextSize ? ` for each of ${settings.parallel} sequences` : ""} needs about ${formatBytes(kv)} of KV cache; this machine has ${formatBytes(all)} of memory in all`,
    { hint: "set a smaller context size, or leave it to hearth (it sizes the context to the memory)" },
  );
}

export function plan(input: PlanInput): Plan {
  const { model, overrides = {} } = input;
  refuseImpossibleContext(input);
  const forcedDevice = overrides.device && overrides.device !== "auto" ? overrides.device : undefined;
  const measured = new Set((input.profiles ?? []).map((p) => p.backend));
  let descriptors = enginesToPlan(input.descriptors, model, overrides.backend, measured).filter(
    (d) => !input.task || d.tasks.includes(input.task),
  );
  if (descriptors.length === 0 && !input.descriptors.some((d) => d.formats.includes(model.format))) {
    throw new HearthError("unsupported_architecture", `hearth has no engine for ${model.format} models on this platform`, {
      hint: "use a GGUF or ONNX repo of the same model",
    });
  }
  if (descriptors.length === 0) {
    throw new HearthError(
      "unsupported_architecture",
      `no engine runs ${model.format} ${model.type} models${input.task ? ` for ${input.task}` : ""}`,
      {
        hint: `engines: ${input.descriptors.map((d) => `${d.name} (${d.formats.join("/")} ${d.modelTypes.join("/")})`).join(", ")}`,
      },
    );
  }
  if (overrides.backend) {
    const named = input.descriptors.find((d) => d.name === overrides.backend);
    if (!named)
      throw new HearthError("bad_input", `unknown backend "${overrides.backend}"`, {
        hint: `choose one of: ${input.descriptors.map((d) => d.name).join(", ")}`,
      });
    descriptors = descriptors.filter((d) => d.name === overrides.backend);
    if (descriptors.length === 0) {
      throw new HearthError("unsupported_architecture", `backend "${overrides.backend}" cannot run ${model.format} ${model.type} models`, {
        hint: "omit --backend to let hearth choose",
      });
    }
  }

  const candidates: PlanCandidate[] = [];
  for (const d of descriptors) {
    for (const device of d.devices) {
      const c = device === "cpu" ? cpuCandidate(d, input) : device === "gpu" ? gpuCandidate(d, input) : npuCandidate(d, input);
      if (!lists(d, model)) c.reasons.push(`${d.name} runs text models only where named or measured (fewer features than the text engine)`);
      applyProfile(c, input.profiles ?? []);
      const failed = input.remembered?.find((r) => r.backend === c.backend && r.device === c.device);
      if (failed) {
        c.score += SCORE.remembered;
        c.reasons.unshift(`failed here before, tried last: ${failed.reason} (hearth plan --reset forgets)`);
      }
      if (forcedDevice === device) {
        c.score += SCORE.forced;
        c.reasons.unshift(`device ${device} chosen by you${c.usable ? "" : "; hearth does not expect it to load, the load will tell"}`);
      }
      if (overrides.settings) {
        for (const [k, v] of Object.entries(overrides.settings)) {
          if (v === undefined) continue;
          (c.options as unknown as Record<string, unknown>)[k] = v;
          if (k === "extra") continue;
          const word = REASON_WORD[k] ?? k;
          c.reasons = c.reasons.filter((r) => !r.startsWith(`${word} `));
          c.reasons.push(`${word} ${v}: set by you`);
        }
      }
      candidates.push(c);
    }
  }
  if (forcedDevice && !candidates.some((c) => c.device === forcedDevice)) {
    throw new HearthError("backend_unavailable", `no engine for ${model.format} ${model.type} models can use the ${forcedDevice}`, {
      hint: `engines that could run it: ${descriptors.map((d) => `${d.name} (${d.devices.join("/")})`).join(", ")}; use --device auto`,
    });
  }
  const order = new Map(input.descriptors.map((d, i) => [d.name, i]));
  candidates.sort(
    (a, b) => b.score - a.score || DEVICE_ORDER[a.device] - DEVICE_ORDER[b.device] || order.get(a.backend)! - order.get(b.backend)!,
  );

  const chosen = candidates[0];
  if (!chosen.usable && !forcedDevice) {
    // too big for a device that exists is the fact to tell; else why no engine works on the CPU,
    // which every machine has (an absent NPU or GPU says less than an engine that does not load)
    const tooBig = candidates.find((c) => c.fit === "none");
    const memory = tooBig !== undefined;
    const told = tooBig ?? candidates.find((c) => c.device === "cpu") ?? chosen;
    throw new HearthError(
      memory ? "insufficient_memory" : "backend_unavailable",
      `no device here can run ${model.primary}: ${told.reasons.join("; ")}`,
      {
        hint: memory ? "choose a smaller quantization of the model" : "run `hearth devices` to see which engines work here",
      },
    );
  }
  // the chain: the chosen one, then every other usable candidate (a remembered failure is tried last)
  const strict = overrides.strict === true;
  const fallbackChain = strict ? [chosen] : [chosen, ...candidates.slice(1).filter((c) => c.usable)];
  return {
    backend: chosen.backend,
    device: chosen.device,
    gpuLayers: chosen.options.gpuLayers,
    threads: chosen.options.threads,
    contextSize: chosen.options.contextSize,
    batchSize: chosen.options.batchSize,
    kvCacheType: chosen.options.kvCacheType,
    reasons: [`${chosen.backend} on ${chosen.device}${chosen.deviceName ? ` (${chosen.deviceName})` : ""}`, ...chosen.reasons],
    chosen,
    alternatives: candidates,
    fallbackChain,
    strict,
  };
}
