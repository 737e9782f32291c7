// scripts/hw-regression.sh as a project runs it: the first run saves the device's baseline, a later
// one compares against it (exit 0 within the threshold, 3 past it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { repoRoot } from "../helpers/cli.ts";
import type { BenchRun } from "../../src/bench/types.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-hwreg-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function script(args: string[]) {
  const r = spawnSync("bash", [path.join(repoRoot, "scripts/hw-regression.sh"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, NO_COLOR: "1", HW_REGRESSION_DIR: dir, HEARTH_HOME: path.join(dir, "home") },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test("hw-regression.sh saves a baseline per device key, then gates against it", async () => {
  const tiny = await ensureFixture("tiny");
  const first = script(["--reps", "2", tiny]);
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /measuring a new baseline/);
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  assert.equal(files.length, 1, "one device here: the CPU");
  assert.match(files[0], /^cpu_.+_\d+c\.json$/);
  const file = path.join(dir, files[0]);
  const saved = JSON.parse(readFileSync(file, "utf8")) as BenchRun;
  assert.equal(saved.cells[0].ok, true);

  // a baseline this machine beats by far in every metric passes at the default 10%, and the table is
  // printed (the gate itself is tested on exact figures in regression.test.ts; a shared machine's noise
  // must not decide this test, so the baselines are absolute figures no machine comes near, not
  // multiples of the first run, which CI's load once slowed to 4 tok/s)
  const c = saved.cells[0];
  const at = (x: NonNullable<typeof c.decodeTokensPerSec>, median: number) => ({ ...x, median, p95: median });
  const slow = {
    ...c,
    decodeTokensPerSec: at(c.decodeTokensPerSec!, 0.001),
    prefillTokensPerSec: at(c.prefillTokensPerSec!, 0.001),
    ttftMs: at(c.ttftMs!, 1e9),
    latencyMs: at(c.latencyMs!, 1e9),
    peakRssBytes: 1e15,
  };
  writeFileSync(file, JSON.stringify({ ...saved, cells: [slow] }));
  const again = script(["--reps", "2", tiny]);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /against .*\.json \(at most 10% worse\)/);
  assert.match(again.out, /tiny-g1\.gguf[^\n]*decode/);

  // a baseline far faster than any machine: the gate fails with exit 3
  writeFileSync(file, JSON.stringify({ ...saved, cells: [{ ...c, decodeTokensPerSec: at(c.decodeTokensPerSec!, 1e9) }] }));
  const slower = script(["--reps", "2", tiny]);
  assert.equal(slower.code, 3, slower.out);
  assert.match(slower.out, /REGRESSED/);

  const bad = script(["--frobnicate"]);
  assert.equal(bad.code, 2);
});
