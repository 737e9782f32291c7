// A measured profile for a model file on this machine's CPU, written into a HEARTH_HOME as
// `hearth tune` would: keyed by the file's sha256 and this CPU's device key, so the planner finds it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeProfile, type StoredProfile } from "../../src/bench/profileStore.ts";
import { readCpuFacts } from "../../src/devices/cpu.ts";
import { deviceKey } from "../../src/devices/deviceKey.ts";

export function writeCpuProfile(
  home: string,
  modelFile: string,
  p: Pick<StoredProfile, "backend" | "settings" | "decodeTokensPerSec"> & { measuredAt?: string },
): StoredProfile {
  const profile: StoredProfile = {
    modelSha256: createHash("sha256").update(readFileSync(modelFile)).digest("hex"),
    deviceKey: deviceKey({ device: "cpu", cpu: readCpuFacts() }),
    backend: p.backend,
    device: "cpu",
    settings: p.settings,
    decodeTokensPerSec: p.decodeTokensPerSec,
    measuredAt: p.measuredAt ?? new Date().toISOString(),
  };
  writeProfile(profile, home);
  return profile;
}
