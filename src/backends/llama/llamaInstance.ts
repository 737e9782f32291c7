// node-llama-cpp's Llama instance per device: `gpu: false` loads the CPU build, "auto" the best GPU
// build that works here (CUDA, Vulkan, Metal), tested by node-llama-cpp before use. On the CPU, a
// local OpenMP build where one was made and loads: node-llama-cpp's own (`npm run build:llama`,
// localBuild.ts) or the prebuilt addon over hearth's OpenMP CPU library (`hearth build`,
// cpuLibrary.ts; "auto" takes it only where hearth build measured it faster); node-llama-cpp's
// prebuilt binaries otherwise. HEARTH_LLAMA_BUILD or a load's extra.llamaBuild ("local",
// "prebuilt") forces one. hearth never compiles llama.cpp or downloads at run time: only
// `hearth build` compiles, when asked.
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { DeviceKind } from "../../model/types.ts";
import type { DeviceProbe } from "../types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { hasPersistentThreads, loadLocalBuild } from "./localBuild.ts";
import { findCpuLibrary, loadCpuLibrary, measuredFaster } from "./cpuLibrary.ts";
import { readEnv } from "../../config/env.ts";

/** Which llama.cpp binaries an instance runs, for LoadedModel.info.settings. */
export interface LlamaBuildInfo {
  /** "local" (npm run build:llama: node-llama-cpp built here), "hearth-build" (`hearth build`: the
   * prebuilt with hearth's OpenMP CPU library, cpuLibrary.ts) or "prebuilt" (node-llama-cpp's binaries) */
  build: "local" | "hearth-build" | "prebuilt";
  /** graph computes keep their worker threads (OpenMP): decode gains from every thread */
  persistentThreads: boolean;
  /** why the CPU instance is not a local build, where one was looked for */
  note?: string;
}

/** The CPU instance and the GPU one. A process holds one CPU build of llama.cpp (ggml registers
 * CPU backends in one process-wide list and llama.cpp runs on the first), so every CPU choice is
 * served by the first CPU build this process loaded (buildInfoOf notes where it is not the one asked for). */
const instances = new Map<"cpu" | "gpu", Promise<Llama>>();
const builds = new WeakMap<Llama, LlamaBuildInfo>();
/** the choice the CPU instance was made for */
let cpuChoice: LlamaBuildChoice | undefined;

/** Which CPU build a load asks for: its extra.llamaBuild, else HEARTH_LLAMA_BUILD, else "auto". */
export type LlamaBuildChoice = "auto" | "local" | "prebuilt";

export function buildChoice(extra: unknown): LlamaBuildChoice {
  if (extra === "local" || extra === "prebuilt" || extra === "auto") return extra;
  if (extra !== undefined) {
    throw new HearthError("bad_input", `extra.llamaBuild must be "auto", "local" or "prebuilt", not ${JSON.stringify(extra)}`, {
      hint: "leave it out to use a local build where one was made and measured faster (hearth build)",
    });
  }
  return readEnv().llamaBuild;
}

/** Which build a Llama is; with the choice a load made, a note where this process runs another. */
export function buildInfoOf(llama: Llama, choice?: LlamaBuildChoice): LlamaBuildInfo {
  const info = builds.get(llama) ?? {
    build: llama.buildType === "localBuild" ? "local" : "prebuilt",
    persistentThreads: hasPersistentThreads(llama),
  };
  if (choice === undefined) return info;
  const already = `this process already runs llama.cpp's ${info.build} CPU build (one per process)`;
  if (choice === "prebuilt")
    return info.build === "prebuilt" ? { ...info, note: undefined } : { ...info, note: `the prebuilt was asked for, but ${already}` };
  if (info.build !== "prebuilt" || choice === cpuChoice || cpuChoice !== "prebuilt") return info;
  return { ...info, note: `a local build was asked for, but ${already}` };
}

/** Why decode may run slower in this process than in a runner, where it does: node-llama-cpp runs each
 * step as a job on libuv's pool, successive steps land on different pool threads, and with OpenMP each
 * of them keeps a worker team of its own (docs/benchmarks.md). Runners start with one pool thread. */
export function poolNote(build: LlamaBuildInfo, device: DeviceKind, threads: number): string | undefined {
  const pool = readEnv().uvThreadpoolSize ?? 4;
  if (device !== "cpu" || !build.persistentThreads || threads < 2 || pool === 1) return undefined;
  return (
    `libuv's pool in this process has ${pool} threads, among which decode steps move, each keeping its own OpenMP workers: ` +
    "decode is faster with UV_THREADPOOL_SIZE=1 set before the process starts, or in a runner (isolate: true)"
  );
}

/** The CPU build a choice asks for: node-llama-cpp's local build (npm run build:llama) where it
 * loads, then hearth's CPU library ("local" always, "auto" where `hearth build` measured it
 * faster), else the prebuilt, with the reason. */
async function createCpu(choice: LlamaBuildChoice): Promise<Llama> {
  const notes: string[] = [];
  if (choice !== "prebuilt") {
    const local = await loadLocalBuild(physicalCores());
    if ("llama" in local) {
      builds.set(local.llama, { build: "local", persistentThreads: hasPersistentThreads(local.llama) });
      return local.llama;
    }
    notes.push(local.reason);
    const found = findCpuLibrary(readEnv().home);
    if ("reason" in found) notes.push(found.reason);
    else if (choice === "auto" && !measuredFaster(found.info)) {
      const m = found.info.measured;
      notes.push(
        m
          ? `hearth build measured its CPU library slower than the prebuilt (${m.libraryDecode.toFixed(1)} against ${m.prebuiltDecode.toFixed(1)} tok/s)`
          : "hearth build's CPU library was not measured against the prebuilt (hearth build --model <model> measures it)",
      );
    } else {
      try {
        const llama = await loadCpuLibrary(found.loc, physicalCores());
        builds.set(llama, { build: "hearth-build", persistentThreads: true });
        return llama;
      } catch (e) {
        notes.push(`hearth build's CPU library does not load: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
      }
    }
  }
  const llama = await createPrebuilt(false);
  builds.set(llama, { build: "prebuilt", persistentThreads: false, note: notes.length ? notes.join("; ") : undefined });
  return llama;
}

function createPrebuilt(gpu: boolean): Promise<Llama> {
  return getLlama({
    gpu: gpu ? "auto" : false,
    build: "never",
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    // the thread pool node-llama-cpp shares between the contexts of this instance; more threads
    // than physical cores made decode 80x slower here (DESIGN.md)
    maxThreads: physicalCores(),
  });
}

/** The Llama instance for a device. On the CPU, "auto" and "local" take a local build where one
 * loads (the prebuilt otherwise, with a note why); "prebuilt" never looks for one. */
export function llamaFor(device: DeviceKind, build: LlamaBuildChoice = readEnv().llamaBuild): Promise<Llama> {
  const key = device === "gpu" ? "gpu" : "cpu";
  let p = instances.get(key);
  if (!p) {
    if (key === "cpu") cpuChoice = build;
    p = (key === "gpu" ? createPrebuilt(true) : createCpu(build)).catch((e) => {
      instances.delete(key);
      throw new HearthError(
        "backend_unavailable",
        `node-llama-cpp has no working ${key === "gpu" ? "gpu" : "cpu"} build here: ${e instanceof Error ? e.message.split("\n")[0] : e}`,
        {
          hint: key === "gpu" ? "use --device cpu" : "reinstall hearth (npm ci) so node-llama-cpp's prebuilt binaries are present",
          cause: e,
        },
      );
    });
    instances.set(key, p);
  }
  return p;
}

export async function probeDevices(): Promise<DeviceProbe[]> {
  const probes: DeviceProbe[] = [];
  try {
    await llamaFor("cpu");
    probes.push({ device: "cpu", api: "cpu", available: true });
  } catch (e) {
    probes.push({ device: "cpu", api: "cpu", available: false, reason: (e as Error).message });
  }
  try {
    const llama = await llamaFor("gpu");
    probes.push(
      llama.gpu
        ? { device: "gpu", api: llama.gpu, available: true }
        : { device: "gpu", api: "cuda/vulkan/metal", available: false, reason: "no GPU build of llama.cpp works on this machine" },
    );
  } catch (e) {
    probes.push({ device: "gpu", api: "cuda/vulkan/metal", available: false, reason: (e as Error).message });
  }
  return probes;
}
