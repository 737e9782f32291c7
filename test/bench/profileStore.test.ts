import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, utimesSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { listProfiles, profileFile, readProfile, removeProfile, writeProfile, type StoredProfile } from "../../src/bench/profileStore.ts";
import { cachedSha256 } from "../../src/bench/fileHash.ts";
import { cpuDeviceKey } from "../../src/bench/machine.ts";

test("a profile written is read back by model hash and device key, and only by those", () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-profiles-"));
  const p: StoredProfile = {
    modelSha256: "ab".repeat(32),
    deviceKey: cpuDeviceKey(),
    backend: "llama",
    device: "cpu",
    settings: { threads: 2, batchSize: 128, flashAttention: false, kvCacheType: "f16" },
    decodeTokensPerSec: 31.5,
    latencyMs: 12,
    workload: { promptTokens: 128, genTokens: 32, reps: 2 },
    measuredAt: new Date().toISOString(),
    trials: [
      { settings: { threads: 1 }, latencyMs: 20 },
      { settings: { threads: 2 }, error: "failed" },
    ],
  };
  const file = writeProfile(p, home);
  assert.equal(file, profileFile(p.modelSha256, p.deviceKey, "llama", home));
  assert.deepEqual(readProfile(p.modelSha256, p.deviceKey, home), p);
  assert.equal(readProfile(p.modelSha256, "gpu:other", home), undefined);
  assert.equal(readProfile("cd".repeat(32), p.deviceKey, home), undefined);
  assert.equal(listProfiles(home).length, 1);
  // a damaged file reads as no profile, not as an error
  writeFileSync(file, "{not json");
  assert.equal(readProfile(p.modelSha256, p.deviceKey, home), undefined);
  assert.equal(removeProfile(p.modelSha256, p.deviceKey, home), false, "the damaged file is no profile");
  writeProfile(p, home);
  assert.equal(removeProfile(p.modelSha256, p.deviceKey, home), true);
  assert.equal(removeProfile(p.modelSha256, p.deviceKey, home), false);
  rmSync(home, { recursive: true });
});

test("each engine keeps its own profile for the same model and device", () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-profiles-"));
  const base = { modelSha256: "ef".repeat(32), deviceKey: cpuDeviceKey(), device: "cpu" as const };
  writeProfile({ ...base, backend: "llama", settings: { threads: 2 }, measuredAt: "2026-01-01T00:00:00.000Z" }, home);
  writeProfile({ ...base, backend: "llama-mm", settings: { threads: 1 }, measuredAt: "2026-01-02T00:00:00.000Z" }, home);
  assert.equal(listProfiles(home).length, 2);
  assert.deepEqual(readProfile(base.modelSha256, base.deviceKey, home, "llama")?.settings, { threads: 2 });
  assert.deepEqual(readProfile(base.modelSha256, base.deviceKey, home, "llama-mm")?.settings, { threads: 1 });
  assert.equal(readProfile(base.modelSha256, base.deviceKey, home)?.backend, "llama-mm", "without an engine: the newest");
  assert.equal(removeProfile(base.modelSha256, base.deviceKey, home, "llama-mm"), true);
  assert.equal(readProfile(base.modelSha256, base.deviceKey, home)?.backend, "llama");
  rmSync(home, { recursive: true });
});

test("the device key names the CPU and its cores", () => {
  assert.match(cpuDeviceKey(), /^cpu:.+:\d+c$/);
});

test("file hashes are cached and recomputed when the file changes", async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-sha-"));
  const f = path.join(home, "model.gguf");
  writeFileSync(f, "first");
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");
  assert.equal(await cachedSha256(f, home), sha("first"));
  const cache = JSON.parse(readFileSync(path.join(home, "state", "hashes.json"), "utf8"));
  assert.equal(Object.values(cache).length, 1);
  // an unchanged file is not hashed again: the cached digest is returned
  const real = Object.keys(cache)[0];
  writeFileSync(path.join(home, "state", "hashes.json"), JSON.stringify({ [real]: { ...cache[real], sha256: "cached" } }));
  assert.equal(await cachedSha256(f, home), "cached");
  writeFileSync(f, "second!");
  utimesSync(f, new Date(), new Date(Date.now() + 5000));
  assert.equal(await cachedSha256(f, home), sha("second!"));
  rmSync(home, { recursive: true });
});
