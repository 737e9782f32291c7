// What this machine has. CPU and RAM are read every time; the GPU probe (child processes loading
// GPU builds, seconds) is cached under HEARTH_HOME/state/devices.json for a while.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readCpuFacts, readMemoryFacts } from "./cpu.ts";
import { gpusFromProbes, mergePciGpus, probeGpuApis, readPciGpus } from "./gpu.ts";
import { readNpus } from "./npu.ts";
import type { GpuApiProbe, HardwareFacts } from "./types.ts";

/** How long a GPU probe is trusted (drivers change rarely; free VRAM is refreshed by the planner's margin) */
export const PROBE_TTL_MS = 10 * 60_000;

export interface DiscoverOptions {
  /** the state folder (HEARTH_HOME/state) */
  stateDir: string;
  /** ignore the cache and probe again */
  refresh?: boolean;
  /** told before each slow probe ("probing cuda") */
  onProgress?: (line: string) => void;
}

interface CachedProbe {
  version: 1;
  probedAt: string;
  gpuApis: GpuApiProbe[];
}

function readCache(file: string): CachedProbe | undefined {
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as CachedProbe;
    if (c.version !== 1 || Date.now() - Date.parse(c.probedAt) > PROBE_TTL_MS) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

export function writeStateJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

export async function discoverHardware(options: DiscoverOptions): Promise<HardwareFacts & { cached: boolean }> {
  const file = path.join(options.stateDir, "devices.json");
  let cache = options.refresh ? undefined : readCache(file);
  const cached = cache !== undefined;
  if (!cache) {
    cache = { version: 1, probedAt: new Date().toISOString(), gpuApis: await probeGpuApis(undefined, options.onProgress) };
    writeStateJson(file, cache);
  }
  return {
    platform: process.platform,
    cpu: readCpuFacts(),
    memory: readMemoryFacts(),
    gpus: mergePciGpus(gpusFromProbes(cache.gpuApis), readPciGpus()),
    gpuApis: cache.gpuApis,
    npus: readNpus(),
    probedAt: cache.probedAt,
    cached,
  };
}
