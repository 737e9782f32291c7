// node-llama-cpp's Llama instance per device: `gpu: false` loads the CPU build, "auto" the best GPU
// build that works here (CUDA, Vulkan, Metal), tested by node-llama-cpp before use. On the CPU, the
// local OpenMP build (localBuild.ts) where `npm run build:llama` made one and it loads, node-llama-cpp's
// prebuilt binaries otherwise; HEARTH_LLAMA_BUILD or a load's extra.llamaBuild ("local", "prebuilt")
// forces one. The local build decodes the bench fixture at 0.84-0.98x llama-bench in bench:llm
// (across runs) against the prebuilt's 0.66-0.67x (docs/benchmarks.md). hearth never compiles
// llama.cpp or downloads at run time.
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { DeviceKind } from "../../model/types.ts";
import type { DeviceProbe } from "../types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { hasPersistentThreads, loadLocalBuild } from "./localBuild.ts";
import { readEnv } from "../../config/env.ts";

/** Which llama.cpp binaries an instance runs, for LoadedModel.info.settings. */
export interface LlamaBuildInfo {
  /** "local" (npm run build:llama) or "prebuilt" (node-llama-cpp's binaries) */
  build: "local" | "prebuilt";
  /** graph computes keep their worker threads (OpenMP): decode gains from every thread */
  persistentThreads: boolean;
  /** why the CPU instance is not the local build, where one was looked for */
  note?: string;
}

/** "cpu-local": the local OpenMP build, where it exists and loads. */
type InstanceKey = "cpu" | "gpu" | "cpu-local";
const instances = new Map<InstanceKey, Promise<Llama>>();
const builds = new WeakMap<Llama, LlamaBuildInfo>();

/** Which CPU build a load asks for: its extra.llamaBuild, else HEARTH_LLAMA_BUILD, else "auto". */
export type LlamaBuildChoice = "auto" | "local" | "prebuilt";

export function buildChoice(extra: unknown): LlamaBuildChoice {
  if (extra === "local" || extra === "prebuilt" || extra === "auto") return extra;
  if (extra !== undefined) {
    throw new HearthError("bad_input", `extra.llamaBuild must be "auto", "local" or "prebuilt", not ${JSON.stringify(extra)}`, {
      hint: "leave it out to use the local build where one was made (npm run build:llama)",
    });
  }
  return readEnv().llamaBuild;
}

export function buildInfoOf(llama: Llama): LlamaBuildInfo {
  return (
    builds.get(llama) ?? { build: llama.buildType === "localBuild" ? "local" : "prebuilt", persistentThreads: hasPersistentThreads(llama) }
  );
}

async function create(key: InstanceKey): Promise<Llama> {
  let note: string | undefined;
  if (key === "cpu-local") {
    const local = await loadLocalBuild(physicalCores());
    if ("llama" in local) {
      builds.set(local.llama, { build: "local", persistentThreads: hasPersistentThreads(local.llama) });
      return local.llama;
    }
    note = local.reason;
  }
  const llama = await createPrebuilt(key === "gpu");
  builds.set(llama, { build: "prebuilt", persistentThreads: false, note });
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

/** The Llama instance for a device. On the CPU, "auto" and "local" take the local build where it
 * loads (the prebuilt otherwise, with a note why); "prebuilt" never looks for it. */
export function llamaFor(device: DeviceKind, build: LlamaBuildChoice = readEnv().llamaBuild): Promise<Llama> {
  const key: InstanceKey = device === "gpu" ? "gpu" : build === "prebuilt" ? "cpu" : "cpu-local";
  let p = instances.get(key);
  if (!p) {
    p = create(key).catch((e) => {
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
