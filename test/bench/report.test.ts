import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { renderReport } from "../../src/bench/report.ts";
import { describeMachine } from "../../src/bench/machine.ts";
import { DEFAULT_SETTINGS, type BenchRun, type CellResult } from "../../src/bench/types.ts";
import { summarize } from "../../src/bench/stats.ts";
import { chartFigures, chromiumDom } from "./chromium.ts";

function cell(label: string, threads: number, decode: number[], ok = true): CellResult {
  return {
    cell: { model: "/m/model.gguf", device: "cpu", threads },
    label,
    ok,
    reps: decode.length,
    errors: ok ? 0 : decode.length,
    errorRate: ok ? 0 : 1,
    error: ok ? undefined : "the <engine> failed",
    backend: "llama",
    device: "cpu",
    task: "generate",
    loadMs: 120,
    promptTokens: 512,
    genTokens: 128,
    decodeTokensPerSec: summarize(decode, "higher-is-better"),
    prefillTokensPerSec: summarize(
      decode.map((d) => d * 8),
      "higher-is-better",
    ),
    ttftMs: summarize(decode.map((d) => 5000 / d)),
    latencyMs: summarize(decode.map((d) => 128000 / d)),
    peakRssBytes: 500e6 + threads * 1e6,
    baselineRssBytes: 100e6,
  };
}

test("the report is one self-contained file whose charts render in Chromium, titled and labelled", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-report-"));
  const run: BenchRun = {
    hearth: "test",
    startedAt: "2026-01-01T00:00:00Z",
    finishedAt: "2026-01-01T00:01:00Z",
    machine: describeMachine(),
    settings: { ...DEFAULT_SETTINGS, reps: 3 },
    cells: [cell("t1", 1, [20, 22, 18]), cell("t2 </script>", 2, [35, 37, 30]), cell("t4", 4, [], false)],
    llamaBench: [
      {
        label: "t1",
        ours: { decodeTokensPerSec: 20, prefillTokensPerSec: 160 },
        theirs: { decodeTokensPerSec: 25, prefillTokensPerSec: 200 },
        decodeRatio: 0.8,
        prefillRatio: 0.8,
      },
      { label: "t2 </script>", ours: {}, theirs: {}, error: "llama-bench failed" },
    ],
  };
  const html = renderReport(run);
  // no network: no external scripts, styles or fonts
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/cdn/i);
  assert.match(html, /Chart\.js v4/);
  const file = path.join(dir, "report.html");
  writeFileSync(file, html);
  const dom = await chromiumDom(file);
  const figs = chartFigures(dom);
  assert.deepEqual([...figs.keys()], ["decode", "prefill", "ttft", "latency", "llamabench", "memory"]);
  assert.equal(figs.get("llamabench")!["data-datasets"], "decode|prefill");
  assert.equal(figs.get("decode")!["data-chart-title"], "Decode speed per cell");
  assert.equal(figs.get("decode")!["data-y-title"], "tokens/s");
  assert.equal(figs.get("decode")!["data-x-title"], "cell");
  assert.equal(figs.get("decode")!["data-datasets"], "median|p95 to max");
  assert.equal(figs.get("ttft")!["data-datasets"], "median|min to p95");
  assert.equal(figs.get("memory")!["data-y-title"], "MB");
  for (const [id, f] of figs) assert.ok(Number(f["data-painted-pixels"]) > 1000, `chart ${id} painted nothing`);
  assert.match(dom, /data-charts-ready="6"/);
  assert.match(dom, /0\.80 <small>\(20 \/ 25\)/);
  // the machine, the settings, the failed cell's error (escaped) are in the page
  assert.match(dom, new RegExp(describeMachine().cpu.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.match(dom, /"reps": 3/);
  assert.match(dom, /failed: the &lt;engine&gt; failed/);
  rmSync(dir, { recursive: true });
});
