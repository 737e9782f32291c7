// `hearth bench` and `hearth tune` on the diffusion fixture through the real CLI: seconds per
// denoising step, latency and peak memory measured; tune stores a profile for the diffusion engine.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runHearth } from "../helpers/cli.ts";
import { ensureDiffusionFixture } from "../../fixtures/diffusion.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-image-bench-"));
const env = { HEARTH_HOME: home };
after(() => rmSync(home, { recursive: true, force: true }));
const model = ensureDiffusionFixture("diffusion");

test("hearth bench measures ms per denoising step, latency and peak memory of an image model", async () => {
  const r = await runHearth(["bench", model, "--reps", "2", "--threads", "1", "--json"], { env, timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout);
  const cell = run.cells[0];
  assert.equal(cell.ok, true, cell.error);
  assert.equal(cell.task, "image");
  assert.equal(cell.backend, "diffusion");
  assert.ok(cell.stepMs.median > 0 && cell.stepMs.median < cell.latencyMs.median, JSON.stringify(cell.stepMs));
  assert.ok(cell.peakRssBytes > cell.baselineRssBytes);
});

test("hearth tune searches threads for an image model and stores a diffusion profile", async () => {
  const r = await runHearth(["tune", model, "--reps", "1", "--json"], { env, timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.profile.backend, "diffusion");
  assert.ok(out.trials.length >= 1);
});
