// `hearth plan` with a measured profile in the store: the real file hash and this machine's device
// key find it, and the plan takes its settings and says why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { readCpuFacts } from "../../src/devices/cpu.ts";
import { runHearth } from "../helpers/cli.ts";
import { writeCpuProfile } from "../helpers/profiles.ts";

test("a stored profile for this file and this CPU wins in `hearth plan`; without it the static rule plans", async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-plan-profile-"));
  const model = await ensureFixture("tiny");
  const before = await runHearth(["plan", model, "--json"], { env: { HEARTH_HOME: home } });
  assert.equal(before.code, 0, before.stderr);
  const staticPlan = JSON.parse(before.stdout);
  assert.equal(staticPlan.backend, "llama");
  assert.equal(staticPlan.device, "cpu");
  assert.equal(staticPlan.threads, readCpuFacts().physicalCores);
  assert.equal(staticPlan.alternatives[0].measured, false);
  assert.equal(existsSync(path.join(home, "state", "hashes.json")), false, "no profile: no need to hash the file");

  const sha = writeCpuProfile(home, model, {
    backend: "llama",
    settings: { threads: 1, batchSize: 64 },
    decodeTokensPerSec: 2800,
    measuredAt: "2026-11-25T09:00:00.000Z",
  }).modelSha256;
  const after = await runHearth(["plan", model, "--json"], { env: { HEARTH_HOME: home } });
  assert.equal(after.code, 0, after.stderr);
  const p = JSON.parse(after.stdout);
  assert.equal(p.threads, 1);
  assert.equal(p.batchSize, 64);
  assert.equal(p.alternatives[0].measured, true);
  assert.equal(p.alternatives[0].expectedDecodeTokensPerSec, 2800);
  assert.match(p.reasons.join("\n"), /measured profile wins over the static rule: 2800\.0 tok\/s decode with threads 1, batchSize 64/);
  // the file hash is remembered by path, size and mtime
  const hashes = JSON.parse(readFileSync(path.join(home, "state", "hashes.json"), "utf8"));
  assert.equal(hashes[model].sha256, sha);

  const text = await runHearth(["plan", model], { env: { HEARTH_HOME: home } });
  assert.match(text.stdout, /llama on cpu .*threads 1.*batch 64/);
  assert.match(text.stdout, /measured profile wins/);
});

test("`hearth plan` and `hearth show` take a model folder: a sherpa TTS folder plans on the speech engine", async () => {
  const { ensureTtsFixture } = await import("../../fixtures/speechOnnx.ts");
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-plan-folder-"));
  const dir = ensureTtsFixture();
  const plan = await runHearth(["plan", dir, "--json"], { env: { HEARTH_HOME: home } });
  assert.equal(plan.code, 0, plan.stderr);
  const p = JSON.parse(plan.stdout);
  assert.deepEqual(
    [p.files.type, p.files.format, path.basename(p.files.primary), p.backend, p.device],
    ["tts", "onnx", "model.onnx", "sherpa", "cpu"],
  );
  const show = await runHearth(["show", dir, "--json"], { env: { HEARTH_HOME: home } });
  assert.equal(show.code, 0, show.stderr);
  assert.equal(JSON.parse(show.stdout).type, "tts");
  const empty = mkdtempSync(path.join(os.tmpdir(), "hearth-empty-model-"));
  const none = await runHearth(["plan", empty], { env: { HEARTH_HOME: home } });
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no model file in the folder/);
});
