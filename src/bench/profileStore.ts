// Measured profiles: the best settings `hearth tune` (or `bench`) found for one model file on one
// device, stored as JSON under HEARTH_HOME/profiles/. The planner reads them: a measured best wins
// over its static rules.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { homePaths, readEnv } from "../config/env.ts";
import type { DeviceKind, LoadOptions } from "../backends/types.ts";

export interface StoredProfile {
  /** sha256 of the model's primary file */
  modelSha256: string;
  /** e.g. "cpu:Intel Xeon ...:2c" or "gpu:cuda:NVIDIA H100"; see deviceKey() in planner */
  deviceKey: string;
  backend: string;
  device: DeviceKind;
  /** the settings that measured best */
  settings: Partial<LoadOptions>;
  decodeTokensPerSec?: number;
  prefillTokensPerSec?: number;
  ttftMs?: number;
  /** median end-to-end latency of the tuning workload, ms: what tune minimised */
  latencyMs?: number;
  /** the workload the figures are for (prompt and generated tokens, repetitions) */
  workload?: { promptTokens: number; genTokens: number; reps: number };
  /** the model file measured (for people reading the profile; the key is the hash) */
  modelPath?: string;
  /** ISO time */
  measuredAt: string;
  /** every candidate tried, for `hearth plan` to show */
  trials?: Array<{ settings: Partial<LoadOptions>; decodeTokensPerSec?: number; prefillTokensPerSec?: number; latencyMs?: number; error?: string }>;
}

function fileFor(home: string, modelSha256: string, deviceKey: string): string {
  const safe = deviceKey.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
  return path.join(homePaths(home).profiles, `${modelSha256.slice(0, 64)}--${safe}.json`);
}

/** Where the profile for this model and device is (or would be) stored. */
export function profileFile(modelSha256: string, deviceKey: string, home = readEnv().home): string {
  return fileFor(home, modelSha256, deviceKey);
}

export function readProfile(modelSha256: string, deviceKey: string, home = readEnv().home): StoredProfile | undefined {
  const f = fileFor(home, modelSha256, deviceKey);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, "utf8")) as StoredProfile;
  } catch {
    return undefined; // a damaged profile is as good as none: the planner falls back to its rules
  }
}

export function writeProfile(p: StoredProfile, home = readEnv().home): string {
  const f = fileFor(home, p.modelSha256, p.deviceKey);
  mkdirSync(path.dirname(f), { recursive: true });
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(p, null, 2)}\n`);
  renameSync(tmp, f);
  return f;
}

export function listProfiles(home = readEnv().home): StoredProfile[] {
  const dir = homePaths(home).profiles;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .flatMap((n) => {
      try {
        return [JSON.parse(readFileSync(path.join(dir, n), "utf8")) as StoredProfile];
      } catch {
        return [];
      }
    });
}

export function removeProfile(modelSha256: string, deviceKey: string, home = readEnv().home): boolean {
  const f = fileFor(home, modelSha256, deviceKey);
  if (!existsSync(f)) return false;
  rmSync(f);
  return true;
}
