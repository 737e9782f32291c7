// Remembered fallbacks: a device that failed a model (load error, two crashes, latency anomaly) is
// tried last for that model until `hearth plan --reset`. Stored in HEARTH_HOME/state/fallbacks.json,
// keyed by the model (sha256 of the primary file where known, else its path) and backend/device.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DeviceKind } from "../model/types.ts";
import { homePaths } from "../config/env.ts";
import { writeStateJson } from "../devices/discover.ts";
import type { RememberedFailure } from "../planner/types.ts";

interface FallbackFile {
  version: 1;
  /** model key -> "backend/device" -> failure */
  models: Record<string, Record<string, RememberedFailure & { model?: string }>>;
}

const fileIn = (home: string) => path.join(homePaths(home).state, "fallbacks.json");

function read(home: string): FallbackFile {
  try {
    const f = JSON.parse(readFileSync(fileIn(home), "utf8")) as FallbackFile;
    if (f.version === 1 && f.models) return f;
  } catch {
    // none yet, or damaged: nothing remembered
  }
  return { version: 1, models: {} };
}

export function rememberFailure(
  home: string,
  modelKey: string,
  failure: { backend: string; device: DeviceKind; reason: string; model?: string },
): void {
  const f = read(home);
  f.models[modelKey] ??= {};
  f.models[modelKey][`${failure.backend}/${failure.device}`] = { ...failure, at: new Date().toISOString() };
  writeStateJson(fileIn(home), f);
}

export function rememberedFailures(home: string, modelKey: string): RememberedFailure[] {
  return Object.values(read(home).models[modelKey] ?? {});
}

/** Forgets the failures of one model, or of all models; returns how many were forgotten. */
export function clearFailures(home: string, modelKey?: string): number {
  const f = read(home);
  let n = 0;
  for (const key of Object.keys(f.models)) {
    if (modelKey !== undefined && key !== modelKey) continue;
    n += Object.keys(f.models[key]).length;
    delete f.models[key];
  }
  if (n > 0) writeStateJson(fileIn(home), f);
  return n;
}
