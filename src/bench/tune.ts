// `hearth tune`: searches the load settings that matter on this machine (threads, batch size, flash
// attention, KV-cache type, GPU layers on a GPU) with short benchmark runs, by coordinate descent:
// one setting at a time, each tried with the best of the others so far. The best is stored as a
// profile keyed by the model file's sha256 and the device, which the planner reads; a repeat run
// with the same file on the same device reuses it unless forced.
import type { DeviceKind } from "../model/types.ts";
import type { LoadOptions } from "../backends/types.ts";
import { physicalCores } from "../devices/cpuCores.ts";
import { backendNames } from "../backends/registry.ts";
import { engineFor, enginesFor } from "./cellModel.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { readGgufFacts } from "../formats/ggufFacts.ts";
import { readEnv } from "../config/env.ts";
import { HearthError } from "../errors/HearthError.ts";
import type { BenchCell } from "./matrix.ts";
import { cellLabel } from "./matrix.ts";
import type { BenchSettings, CellResult } from "./types.ts";
import { DEFAULT_SETTINGS } from "./types.ts";
import { CellWorker, runCell } from "./runCell.ts";
import { deviceKeys, nvidiaGpus } from "./machine.ts";
import { cachedSha256 } from "./fileHash.ts";
import { profileFile, readProfile, writeProfile, type StoredProfile } from "./profileStore.ts";

export interface TuneOptions {
  /** engine to tune; default the one hearth picks */
  backend?: string;
  /** default: gpu where there is one, else cpu */
  device?: DeviceKind;
  /** measure again even when a profile is stored */
  force?: boolean;
  /** the tuning workload; defaults: 128-token prompt, 32 tokens, 2 repetitions */
  promptTokens?: number;
  genTokens?: number;
  reps?: number;
  seed?: number;
  /** run trials in a child process (default true: an engine that cannot use a setting may crash its process) */
  isolate?: boolean;
  home?: string;
}

export interface TuneTrial {
  settings: Partial<LoadOptions>;
  result: CellResult;
  /** the objective: median end-to-end latency of the workload, ms (lower is better) */
  score?: number;
}

export interface TuneOutcome {
  /** true when a stored profile was reused and nothing was measured */
  reused: boolean;
  profile: StoredProfile;
  file: string;
  trials: TuneTrial[];
  /** what the search left out and why (e.g. batch sizes the workload cannot tell apart) */
  notes: string[];
}

type Axis = "threads" | "batchSize" | "flashAttention" | "kvCacheType" | "gpuLayers";

/** Thread counts worth trying: every count up to 8 cores, beyond that powers of two and the cores. */
export function threadCandidates(cores = physicalCores()): number[] {
  if (cores <= 8) return Array.from({ length: cores }, (_, i) => cores - i);
  const s = new Set<number>([cores, Math.round(cores * 0.75), Math.round(cores / 2)]);
  for (let t = 1; t < cores; t *= 2) s.add(t);
  return [...s].sort((a, b) => b - a);
}

/** llama.cpp batch sizes tune tries, the planner's default first */
const BATCH_SIZES = [512, 128, 2048];

/**
 * The batch sizes a workload can tell apart: llama.cpp decodes a prompt in batches of at most the
 * batch size, so every size at or above the prompt's length runs it the same way, and timing them
 * would only choose by noise. The first of each group is kept.
 */
export function batchCandidates(promptTokens: number, sizes: number[] = BATCH_SIZES): number[] {
  const seen = new Set<number>();
  return sizes.filter((b) => {
    const used = Math.min(b, promptTokens);
    if (seen.has(used)) return false;
    seen.add(used);
    return true;
  });
}

/** The search space, as candidate values per axis; the first value of each is the starting point. */
export async function searchSpace(
  modelPath: string,
  format: string,
  device: DeviceKind,
  promptTokens = 128,
): Promise<Partial<Record<Axis, Array<LoadOptions[Axis]>>>> {
  // the order is the search order: what moves speed most first (on a GPU, how much of the model is on it)
  const space: Partial<Record<Axis, Array<LoadOptions[Axis]>>> = {};
  if (format === "gguf" && device === "gpu") {
    const layers = (await readGgufFacts(modelPath).catch(() => undefined))?.layers;
    space.gpuLayers = layers ? ["max", Math.ceil(layers * 0.75), Math.ceil(layers / 2)] : ["max"];
  }
  space.threads = threadCandidates();
  if (format !== "gguf") return space; // the llama.cpp settings below mean nothing to other engines
  space.batchSize = batchCandidates(promptTokens);
  space.flashAttention = [false, true];
  space.kvCacheType = ["f16", "q8_0"];
  return space;
}

/**
 * Whether trial `t` beats `best`: a lower median latency, and even its slowest repetition under the
 * best's median. A difference inside the trials' own noise keeps the setting tried first (each
 * axis's default), so a setting that does not matter for the workload is not set by chance, to the
 * cost of other workloads.
 */
export function clearlyFaster(t: TuneTrial, best: TuneTrial): boolean {
  if (t.score === undefined) return false;
  if (best.score === undefined) return true;
  const slowest = t.result.latencyMs?.max ?? t.score;
  return t.score < best.score && slowest < best.score;
}

const keyOf = (s: Partial<LoadOptions>) => JSON.stringify(Object.entries(s).sort());

export async function tune(
  model: string,
  options: TuneOptions = {},
  onTrial: (t: TuneTrial, n: number) => void = () => {},
): Promise<TuneOutcome> {
  const home = options.home ?? readEnv().home;
  const files = await resolveModel(model);
  const device: DeviceKind = options.device ?? (nvidiaGpus().length ? "gpu" : "cpu");
  const modelSha256 = files.sha256 ?? (await cachedSha256(files.primary, home));
  const keys = await deviceKeys(device, home);
  if (options.backend && !backendNames().includes(options.backend)) {
    throw new HearthError("bad_input", `unknown backend "${options.backend}"`, { hint: `choose one of: ${backendNames().join(", ")}` });
  }
  // profiles are per engine: the one asked for, or the one hearth would pick for this device
  const backend = engineFor(files, { backend: options.backend, device });
  const workload = { promptTokens: options.promptTokens ?? 128, genTokens: options.genTokens ?? 32, reps: options.reps ?? 2 };
  if (!options.force) {
    for (const key of keys) {
      const stored = readProfile(modelSha256, key, home, backend);
      // "nothing changed": same file (hash), device, engine asked for, and tuning workload
      const sameWorkload =
        !stored?.workload || (stored.workload.promptTokens === workload.promptTokens && stored.workload.genTokens === workload.genTokens);
      if (stored && sameWorkload) {
        return { reused: true, profile: stored, file: profileFile(modelSha256, key, backend, home), trials: [], notes: [] };
      }
    }
  }
  const settings: BenchSettings = {
    ...DEFAULT_SETTINGS,
    ...workload,
    warmup: 1,
    seed: options.seed ?? DEFAULT_SETTINGS.seed,
    isolate: options.isolate ?? true,
  };
  const space = await searchSpace(files.primary, files.format, device, workload.promptTokens);
  const notes: string[] = [];
  const untried = space.batchSize ? BATCH_SIZES.filter((b) => !space.batchSize!.includes(b)) : [];
  if (untried.length)
    notes.push(
      `batch sizes ${untried.join(", ")} not tried: a ${workload.promptTokens}-token prompt runs the same at batch ${space.batchSize!.join(", ")}; tune with --prompt-tokens ${Math.max(...BATCH_SIZES)} to compare them`,
    );
  const axes = Object.keys(space) as Axis[];
  const current: Partial<LoadOptions> = Object.fromEntries(axes.map((a) => [a, space[a]![0]]));
  const trials: TuneTrial[] = [];
  const done = new Map<string, TuneTrial>();

  const trial = async (s: Partial<LoadOptions>): Promise<TuneTrial> => {
    const k = keyOf(s);
    const seen = done.get(k);
    if (seen) return seen;
    const cell: BenchCell = { model: files.primary, backend, device, ...s } as BenchCell;
    const result = worker ? await worker.run(cell, cellLabel(cell), settings) : await runCell(cell, cellLabel(cell), settings);
    const t: TuneTrial = { settings: s, result, score: result.ok && result.errors === 0 ? result.latencyMs?.median : undefined };
    done.set(k, t);
    trials.push(t);
    onTrial(t, trials.length);
    return t;
  };

  // trials share one process, so the engine starts once; a trial that crashes it gets a new one
  const worker = settings.isolate ? new CellWorker() : undefined;
  let best: TuneTrial;
  try {
    best = await trial(current);
    for (const axis of axes) {
      for (const value of space[axis]!.slice(1)) {
        const t = await trial({ ...best.settings, [axis]: value });
        if (clearlyFaster(t, best)) best = t;
      }
    }
  } finally {
    await worker?.close();
  }
  if (best.score === undefined) {
    throw new HearthError("backend_unavailable", `every tuning trial failed; the first: ${trials[0]?.result.error ?? "unknown"}`, {
      hint: "check that `hearth bench` runs this model",
    });
  }
  const r = best.result;
  // a GPU's key names the API the engine really used ("gpu/cuda" -> cuda)
  const api = r.device?.includes("/") ? r.device.split("/")[1] : undefined;
  const key = (api ? (await deviceKeys(device, home, api))[0] : keys[0]) ?? `${device}:unknown`;
  const profile: StoredProfile = {
    modelSha256,
    deviceKey: key,
    backend: r.backend ?? backend,
    device,
    settings: best.settings,
    decodeTokensPerSec: r.decodeTokensPerSec?.median,
    prefillTokensPerSec: r.prefillTokensPerSec?.median,
    ttftMs: r.ttftMs?.median,
    latencyMs: r.latencyMs?.median,
    workload: { promptTokens: settings.promptTokens, genTokens: settings.genTokens, reps: settings.reps },
    modelPath: files.primary,
    measuredAt: new Date().toISOString(),
    trials: trials.map((t) => ({
      settings: t.settings,
      decodeTokensPerSec: t.result.decodeTokensPerSec?.median,
      prefillTokensPerSec: t.result.prefillTokensPerSec?.median,
      latencyMs: t.result.latencyMs?.median,
      error: t.result.error,
    })),
  };
  const file = writeProfile(profile, home);
  return { reused: false, profile, file, trials, notes };
}

export interface EnginesTuneOutcome {
  /** one outcome per engine that ran at least one trial, in the order tried */
  outcomes: TuneOutcome[];
  /** engines whose every trial failed, with why */
  failed: { backend: string; error: string }[];
  /** the engine hearth will now plan for this model on this device: the fastest measured decode */
  chosen: string;
}

/**
 * `hearth tune --backend all`: tunes every engine that can run the model on the device, one after
 * another, each stored as its own profile; the planner then runs the model on the one that decoded
 * fastest (plan.ts scores a measured profile by its decode speed).
 */
export async function tuneEngines(
  model: string,
  options: Omit<TuneOptions, "backend"> = {},
  onTrial: (backend: string, t: TuneTrial, n: number) => void = () => {},
): Promise<EnginesTuneOutcome> {
  const files = await resolveModel(model);
  const device: DeviceKind = options.device ?? (nvidiaGpus().length ? "gpu" : "cpu");
  const engines = enginesFor(files, device);
  if (engines.length === 0) {
    throw new HearthError("unsupported_architecture", `no engine runs ${files.format} ${files.type} models on the ${device}`, {
      hint: "check the model and --device",
    });
  }
  const outcomes: TuneOutcome[] = [];
  const failed: EnginesTuneOutcome["failed"] = [];
  for (const backend of engines) {
    try {
      outcomes.push(await tune(model, { ...options, device, backend }, (t, n) => onTrial(backend, t, n)));
    } catch (e) {
      if (!(e instanceof HearthError) || e.code !== "backend_unavailable") throw e;
      failed.push({ backend, error: e.message });
    }
  }
  if (outcomes.length === 0) {
    throw new HearthError("backend_unavailable", `no engine ran this model: ${failed.map((f) => `${f.backend}: ${f.error}`).join("; ")}`, {
      hint: "check that `hearth bench` runs this model",
    });
  }
  const chosen = outcomes.reduce((a, b) => ((b.profile.decodeTokensPerSec ?? 0) > (a.profile.decodeTokensPerSec ?? 0) ? b : a)).profile
    .backend;
  return { outcomes, failed, chosen };
}
