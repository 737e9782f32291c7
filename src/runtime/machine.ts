// The machine as the planner sees it: hardware facts (devices/) plus what each engine's own probe
// says it can use here. Engine probes run in throwaway runner processes (an engine's native code
// never enters this process just to be asked), cached with the hardware probe under HEARTH_HOME/state.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { BackendDescriptor, DeviceProbe } from "../backends/types.ts";
import { homePaths } from "../config/env.ts";
import { discoverHardware, PROBE_TTL_MS, writeStateJson } from "../devices/discover.ts";
import type { HardwareFacts } from "../devices/types.ts";
import type { PlanMachine } from "../planner/types.ts";
import { RunnerModel } from "./runner.ts";

interface BackendProbeCache {
  version: 1;
  backends: Record<string, { probedAt: string; probes: DeviceProbe[] }>;
}

export interface MachineOptions {
  home: string;
  /** probe again instead of using the cache */
  refresh?: boolean;
  /** which engines to probe (default: none; `hearth devices` passes all) */
  descriptors?: BackendDescriptor[];
  /** told before each slow probe */
  onProgress?: (line: string) => void;
}

export type MachineReport = HardwareFacts & PlanMachine & { cached: boolean };

function readCache(file: string): BackendProbeCache {
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as BackendProbeCache;
    if (c.version === 1) return c;
  } catch {
    // none yet
  }
  return { version: 1, backends: {} };
}

export async function describeMachine(options: MachineOptions): Promise<MachineReport> {
  const stateDir = homePaths(options.home).state;
  const hw = await discoverHardware({ stateDir, refresh: options.refresh, onProgress: options.onProgress });
  const file = path.join(stateDir, "backends.json");
  const cache = readCache(file);
  const backends: Record<string, DeviceProbe[]> = {};
  let changed = false;
  let cached = hw.cached;
  // one at a time: each probe loads an engine's native code, and this machine may be small
  for (const d of options.descriptors ?? []) {
    const hit = cache.backends[d.name];
    if (!options.refresh && hit && Date.now() - Date.parse(hit.probedAt) < PROBE_TTL_MS) {
      backends[d.name] = hit.probes;
      continue;
    }
    options.onProgress?.(`probing engine ${d.name}`);
    backends[d.name] = await RunnerModel.probe(d.name);
    changed = true;
    // a probe that timed out or died says nothing lasting about the machine, nor does an engine
    // package that is not installed yet (nativeLoad.ts): ask again next time
    if (backends[d.name].some((p) => /^probe (timed out|process died)|is not installed/.test(p.reason ?? ""))) continue;
    cache.backends[d.name] = { probedAt: new Date().toISOString(), probes: backends[d.name] };
    cached = false;
  }
  if (changed) writeStateJson(file, cache);
  return { ...hw, backends, cached };
}
