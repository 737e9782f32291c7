// Free space check before a download starts, so a full disk fails at once with a clear line instead
// of midway with ENOSPC.
import { mkdirSync, statfsSync } from "node:fs";
import { HearthError } from "../errors/HearthError.ts";
import { readEnv } from "../config/env.ts";

/**
 * Bytes free for an unprivileged user on the file system holding `dir`. HEARTH_TEST_FREE_BYTES
 * (test-only) replaces the real figure so tests can simulate a full disk.
 */
export function freeBytes(dir: string): number {
  const override = readEnv().test.freeBytes;
  if (override !== undefined) return override;
  mkdirSync(dir, { recursive: true });
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

export function ensureDiskSpace(dir: string, needed: number, what: string): void {
  const free = freeBytes(dir);
  // keep a little slack: the manifest, and other writers on the same disk
  const slack = 16 * 1024 * 1024;
  if (needed + (needed > 0 ? slack : 0) > free) {
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    throw new HearthError("insufficient_disk", `not enough disk space for ${what}: needs ${mb(needed)}, ${mb(free)} free in ${dir}`, {
      hint: "free some space (hearth clean, hearth rm <model>) or set HEARTH_HOME to a larger disk",
    });
  }
}
