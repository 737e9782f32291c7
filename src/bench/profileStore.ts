// Measured profiles: the best settings `hearth tune` found for one model file on one device with one
// engine, stored as JSON under HEARTH_HOME/profiles/. The planner reads them: a measured best wins
// over its static rules.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { homePaths, readEnv } from "../config/env.ts";
import type { DeviceKind } from "../model/types.ts";
import type { LoadOptions } from "../backends/types.ts";

export interface StoredProfile {
  /** sha256 of the model's primary file */
  modelSha256: string;
  /** e.g. "cpu:Intel Xeon ...:2c" or "gpu:cuda:NVIDIA H100"; see devices/deviceKey.ts */
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
  trials?: Array<{
    settings: Partial<LoadOptions>;
    decodeTokensPerSec?: number;
    prefillTokensPerSec?: number;
    latencyMs?: number;
    error?: string;
  }>;
}

// One file per model file, device and engine: tuning a second engine must not erase the first's best.
function fileFor(home: string, modelSha256: string, deviceKey: string, backend: string): string {
  const safe = (x: string, n: number) => x.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, n);
  return path.join(homePaths(home).profiles, `${modelSha256.slice(0, 64)}--${safe(deviceKey, 120)}--${safe(backend, 40)}.json`);
}

/** Where the profile for this model, device and engine is (or would be) stored. */
export function profileFile(modelSha256: string, deviceKey: string, backend: string, home = readEnv().home): string {
  return fileFor(home, modelSha256, deviceKey, backend);
}

/**
 * The stored profile for this model file and device: the given engine's, or without one the most
 * recently measured of any engine. Matched on the files' contents, so older file names still count.
 */
export function readProfile(modelSha256: string, deviceKey: string, home = readEnv().home, backend?: string): StoredProfile | undefined {
  return listProfiles(home)
    .filter((p) => p.modelSha256 === modelSha256 && p.deviceKey === deviceKey && (!backend || p.backend === backend))
    .sort((a, b) => b.measuredAt.localeCompare(a.measuredAt))[0];
}

export function writeProfile(p: StoredProfile, home = readEnv().home): string {
  const f = fileFor(home, p.modelSha256, p.deviceKey, p.backend);
  mkdirSync(path.dirname(f), { recursive: true });
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(p, null, 2)}\n`);
  renameSync(tmp, f);
  return f;
}

function readAll(home: string): Array<{ file: string; profile: StoredProfile }> {
  const dir = homePaths(home).profiles;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .flatMap((n) => {
      try {
        const profile = JSON.parse(readFileSync(path.join(dir, n), "utf8")) as StoredProfile;
        // a damaged or foreign file is as good as none: the planner falls back to its rules
        return typeof profile?.modelSha256 === "string" && typeof profile.deviceKey === "string"
          ? [{ file: path.join(dir, n), profile }]
          : [];
      } catch {
        return [];
      }
    });
}

export function listProfiles(home = readEnv().home): StoredProfile[] {
  return readAll(home).map((x) => x.profile);
}

/** Removes the profiles of this model and device (of one engine, or of all); true when any was removed. */
export function removeProfile(modelSha256: string, deviceKey: string, home = readEnv().home, backend?: string): boolean {
  const gone = readAll(home).filter(
    ({ profile: p }) => p.modelSha256 === modelSha256 && p.deviceKey === deviceKey && (!backend || p.backend === backend),
  );
  for (const { file } of gone) rmSync(file);
  return gone.length > 0;
}
