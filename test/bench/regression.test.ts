// The hardware regression gate: synthetic saved results through the comparison, and a real
// `hearth bench --baseline` run through the CLI (exit codes, the table, refusals).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { runHearth } from "../helpers/cli.ts";
import { compareWithBaseline, readBaseline } from "../../src/bench/regression.ts";
import { summarize } from "../../src/bench/stats.ts";
import type { BenchRun, CellResult } from "../../src/bench/types.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-gate-"));
const env = { HEARTH_HOME: home };
test.after(() => rmSync(home, { recursive: true, force: true }));

const KEY = "cpu:Test CPU:2c";

function cell(
  model: string,
  threads: number,
  m: { decode: number; prefill: number; ttft: number; latency: number; rss: number },
): CellResult {
  return {
    cell: { model, device: "cpu", threads },
    label: `${path.basename(model)} t${threads}`,
    ok: true,
    deviceKey: KEY,
    backend: "llama",
    device: "cpu",
    reps: 3,
    errors: 0,
    errorRate: 0,
    // three samples around the median: the gate must read the median, not the mean or the best
    decodeTokensPerSec: summarize([m.decode * 0.5, m.decode, m.decode * 1.01], "higher-is-better"),
    prefillTokensPerSec: summarize([m.prefill, m.prefill * 2, m.prefill * 0.99], "higher-is-better"),
    ttftMs: summarize([m.ttft, m.ttft * 0.9, m.ttft * 3]),
    latencyMs: summarize([m.latency, m.latency, m.latency]),
    peakRssBytes: m.rss,
  };
}

const base = { decode: 40, prefill: 300, ttft: 50, latency: 3000, rss: 500e6 };

function run(cells: CellResult[], dir = "/models"): BenchRun {
  return {
    hearth: "0.1.0",
    startedAt: "2026-12-03T12:00:00.000Z",
    finishedAt: "2026-12-03T12:01:00.000Z",
    machine: {
      cpu: "Test CPU",
      physicalCores: 2,
      logicalCores: 2,
      memoryBytes: 8e9,
      os: "Linux",
      arch: "x64",
      node: "v20",
      cpuFlags: [],
      gpus: [],
    },
    settings: { promptTokens: 512, genTokens: 128, reps: 3, warmup: 1, seed: 42, audioSeconds: 10, isolate: true },
    cells: cells.map((c) => ({ ...c, cell: { ...c.cell, model: path.join(dir, path.basename(c.cell.model)) } })),
  };
}

/** Written to disk and read back, as the CLI does. */
function saved(r: BenchRun): BenchRun {
  const file = path.join(home, `run-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(r));
  return readBaseline(file);
}

test("a cell 15% slower fails a 10% gate; 5% slower passes; the table names the cell and metric", () => {
  const baseline = saved(run([cell("/m/bench.gguf", 2, base), cell("/m/tiny.gguf", 1, base)]));
  const slower = (f: number) =>
    saved(run([cell("/m/bench.gguf", 2, { ...base, decode: base.decode * f }), cell("/m/tiny.gguf", 1, base)], "/elsewhere"));

  const bad = compareWithBaseline(baseline, slower(0.85), 10);
  assert.equal(bad.passed, false);
  const decode = bad.rows.find((r) => r.label === "bench.gguf t2" && r.metric === "decode")!;
  assert.equal(decode.regressed, true);
  assert.ok(Math.abs(decode.changePct + 15) < 1e-9 && Math.abs(decode.worsePct - 15) < 1e-9);
  assert.deepEqual(
    bad.rows.filter((r) => r.regressed).map((r) => `${r.label} ${r.metric}`),
    ["bench.gguf t2 decode"],
  );

  const ok = compareWithBaseline(baseline, slower(0.95), 10);
  assert.equal(ok.passed, true);
  assert.equal(ok.rows.length, 10, "decode, prefill, TTFT, latency and peak RSS of each of the two cells");
  assert.ok(ok.rows.every((r) => !r.regressed));
  // 15% slower passes a 20% gate
  assert.equal(compareWithBaseline(baseline, slower(0.85), 20).passed, true);
});

test("every metric counts in its own direction: longer TTFT and latency, lower prefill, more memory", () => {
  const baseline = saved(run([cell("/m/a.gguf", 1, base)]));
  for (const [change, metric] of [
    [{ prefill: base.prefill * 0.8 }, "prefill"],
    [{ ttft: base.ttft * 1.15 }, "TTFT"],
    [{ latency: base.latency * 1.2 }, "latency"],
    [{ rss: base.rss * 1.15 }, "peak RSS"],
  ] as const) {
    const g = compareWithBaseline(baseline, run([cell("/m/a.gguf", 1, { ...base, ...change })]), 10);
    assert.equal(g.passed, false, metric);
    assert.deepEqual(
      g.rows.filter((r) => r.regressed).map((r) => r.metric),
      [metric],
    );
  }
  // faster decode, shorter TTFT, less memory: better, not a regression
  const better = compareWithBaseline(baseline, run([cell("/m/a.gguf", 1, { ...base, decode: 80, ttft: 10, rss: 100e6 })]), 10);
  assert.equal(better.passed, true);
  assert.ok(better.rows.find((r) => r.metric === "peak RSS")!.worsePct < 0);
});

test("a cell that fails where it ran before fails the gate; new cells and other devices are not compared", () => {
  const baseline = saved(run([cell("/m/a.gguf", 1, base), cell("/m/b.gguf", 1, base)]));
  const failed: CellResult = { ...cell("/m/b.gguf", 1, base), ok: false, error: "load failed", decodeTokensPerSec: undefined };
  const g = compareWithBaseline(baseline, run([cell("/m/a.gguf", 1, base), failed, cell("/m/c.gguf", 1, base)]), 10);
  assert.equal(g.passed, false);
  assert.deepEqual(g.failedCells, ["b.gguf t1"]);
  assert.deepEqual(g.skipped, [{ label: "c.gguf t1", why: "not in the baseline" }]);

  const elsewhere = run([{ ...cell("/m/a.gguf", 1, base), deviceKey: "cpu:Other CPU:8c" }]);
  assert.throws(
    () => compareWithBaseline(baseline, elsewhere, 10),
    /no cell of this run can be compared.*baseline measured on cpu:Test CPU:2c, this run on cpu:Other CPU:8c/,
  );
  assert.throws(() => compareWithBaseline(baseline, run([cell("/m/a.gguf", 1, base)]), -1), /percentage >= 0/);
});

test("a baseline saved before cells carried a device key is keyed by its machine's CPU", () => {
  const old = run([{ ...cell("/m/a.gguf", 1, base), deviceKey: undefined }]);
  const g = compareWithBaseline(saved(old), run([{ ...cell("/m/a.gguf", 1, base), deviceKey: "cpu:Test CPU:2c" }]), 10);
  assert.equal(g.passed, true);
  assert.equal(g.skipped.length, 0);
});

test("hearth bench --baseline: exit 3 and a table past the threshold, exit 0 within it, clear refusals", async () => {
  const tiny = await ensureFixture("tiny");
  const args = ["bench", tiny, "-t", "1", "-p", "16", "-n", "8", "-r", "2"];
  const first = await runHearth([...args, "--json"], { env, timeoutMs: 300_000 });
  assert.equal(first.code, 0, first.stderr);
  const measured = JSON.parse(first.stdout) as BenchRun;
  const c = measured.cells[0];
  assert.match(c.deviceKey!, /^cpu:.+:\d+c$/);

  // a baseline this machine cannot reach (100x its speed) fails; one it beats by far in every metric passes
  const scaled = (f: number): string => {
    const file = path.join(home, `baseline-${f}.json`);
    const s = (x: NonNullable<CellResult["decodeTokensPerSec"]>, k: number) => ({ ...x, median: x.median * k });
    const cells = [
      {
        ...c,
        decodeTokensPerSec: s(c.decodeTokensPerSec!, f),
        prefillTokensPerSec: s(c.prefillTokensPerSec!, f),
        ttftMs: s(c.ttftMs!, 1 / f),
        latencyMs: s(c.latencyMs!, 1 / f),
        peakRssBytes: c.peakRssBytes! / f,
      },
    ];
    writeFileSync(file, JSON.stringify({ ...measured, cells }));
    return file;
  };
  const fail = await runHearth([...args, "--baseline", scaled(100), "--max-regression", "10"], { env, timeoutMs: 300_000 });
  assert.equal(fail.code, 3, fail.stderr);
  assert.match(fail.stdout, /against the baseline .* at most 10% worse allowed/);
  assert.match(fail.stdout, /tiny-g1\.gguf[^\n]*\s+decode\s+[^\n]*-9\d\.\d%\s+REGRESSED/);
  assert.match(fail.stderr, /performance regression past 10%: tiny-g1\.gguf[^\n]* is \d+\.\d% worse/);

  const pass = await runHearth([...args, "--baseline", scaled(0.01), "--json"], { env, timeoutMs: 300_000 });
  assert.equal(pass.code, 0, pass.stderr);
  const gate = (JSON.parse(pass.stdout) as BenchRun).regression!;
  assert.equal(gate.passed, true);
  assert.equal(gate.maxRegressionPct, 10, "10% unless told");
  assert.ok(
    gate.rows.some((r) => r.metric === "peak RSS"),
    "peak memory is compared",
  );

  const other = path.join(home, "other.json");
  writeFileSync(other, JSON.stringify({ ...measured, cells: [{ ...c, deviceKey: "gpu:cuda:Some GPU" }] }));
  const mismatch = await runHearth([...args, "--baseline", other], { env, timeoutMs: 300_000 });
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /no cell of this run can be compared with the baseline.*gpu:cuda:Some GPU/);

  const missing = await runHearth([...args, "--baseline", path.join(home, "nope.json")], { env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the baseline .*nope\.json: no such file/);
  const junk = path.join(home, "junk.json");
  writeFileSync(junk, JSON.stringify({ hello: 1 }));
  assert.match((await runHearth([...args, "--baseline", junk], { env })).stderr, /is not a `hearth bench --json` result/);
  const alone = await runHearth([...args, "--max-regression", "5"], { env });
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--max-regression .*together with --baseline/);
  const pct = await runHearth([...args, "--baseline", junk, "--max-regression", "lots"], { env });
  assert.equal(pct.code, 2);
  assert.match(pct.stderr, /--max-regression got "lots"/);
});
