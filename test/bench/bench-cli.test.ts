import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import { runHearth } from "../helpers/cli.ts";
import { DEFAULT_LLAMA_BENCH } from "../../src/bench/llamaBench.ts";
import type { BenchRun } from "../../src/bench/types.ts";
import { chartFigures, chromiumDom } from "./chromium.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-bench-"));
const env = { HEARTH_HOME: home };
test.after(() => rmSync(home, { recursive: true, force: true }));

test("hearth bench measures the tiny model on two engines, records failing cells, writes a report and compares with llama-bench", async () => {
  const tiny = await ensureFixture("tiny");
  const missing = path.join(home, "missing.gguf");
  const report = path.join(home, "out.html");
  const withLlamaBench = existsSync(DEFAULT_LLAMA_BENCH);
  const r = await runHearth(
    [
      "bench",
      tiny,
      missing,
      "--backend",
      "llama,llama-mm",
      "-p",
      "16",
      "-n",
      "8",
      "--reps",
      "2",
      "-t",
      "1",
      "--json",
      "--report",
      report,
      ...(withLlamaBench ? ["--compare-llama-bench"] : []),
    ],
    { env, timeoutMs: 300_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout) as BenchRun;
  assert.equal(run.settings.promptTokens, 16);
  assert.equal(run.settings.reps, 2);
  assert.equal(run.machine.physicalCores > 0, true);
  assert.equal(run.cells.length, 4);
  assert.deepEqual(
    run.cells.map((c) => c.label),
    ["tiny-g1.gguf llama", "tiny-g1.gguf llama-mm", "missing.gguf llama", "missing.gguf llama-mm"],
  );

  const [ok, otherEngine, bad] = run.cells;
  assert.equal(ok.ok, true, ok.error);
  assert.equal(ok.backend, "llama");
  // the second engine ran in a process of its own (two llama.cpp bindings never share one)
  assert.equal(otherEngine.ok, true, otherEngine.error);
  assert.equal(otherEngine.backend, "llama-mm");
  assert.ok(otherEngine.decodeTokensPerSec!.median > 0);
  assert.equal(ok.cell.threads, 1);
  assert.equal(ok.task, "generate");
  assert.equal(ok.reps, 2);
  assert.equal(ok.errorRate, 0);
  assert.equal(ok.genTokens, 8, "the end-of-generation tokens are forbidden, so every run generates -n tokens");
  assert.ok(ok.promptTokens! >= 8 && ok.promptTokens! <= 32, `prompt calibrated near 16 tokens, got ${ok.promptTokens}`);
  for (const s of [ok.decodeTokensPerSec!, ok.prefillTokensPerSec!]) {
    assert.equal(s.n, 2);
    assert.ok(s.median > 0 && s.min <= s.median && s.median <= s.max);
    assert.equal(s.p95, s.min, "for rates the p95 tail is the slow end");
  }
  for (const s of [ok.ttftMs!, ok.latencyMs!]) {
    assert.ok(s.median > 0 && s.p95 === s.max);
  }
  assert.ok(ok.latencyMs!.median >= ok.ttftMs!.median);
  assert.ok(ok.loadMs! > 0);
  assert.ok(ok.peakRssBytes! > ok.baselineRssBytes!, "loading the model raised the cell process's peak memory");
  if (run.machine.gpus.length === 0) assert.equal(ok.peakGpuBytes, undefined);

  assert.equal(bad.ok, false);
  assert.equal(bad.errorRate, 1);
  assert.match(bad.error!, /no model file/);

  if (withLlamaBench) {
    assert.equal(run.llamaBench?.length, 2, "llama-bench runs the measurable cells only");
    const c = run.llamaBench![0];
    assert.equal(c.error, undefined);
    assert.ok(c.theirs.decodeTokensPerSec! > 0 && c.theirs.prefillTokensPerSec! > 0);
    assert.ok(Math.abs(c.decodeRatio! - c.ours.decodeTokensPerSec! / c.theirs.decodeTokensPerSec!) < 1e-9);
  }

  const figs = chartFigures(await chromiumDom(report));
  for (const id of ["decode", "prefill", "ttft", "latency", "memory"]) {
    assert.ok(Number(figs.get(id)?.["data-painted-pixels"]) > 1000, `chart ${id} drawn`);
  }
});

test("hearth bench measures an embedding model by prompt throughput and latency", async () => {
  const embed = await ensureFixture("embed");
  const r = await runHearth(["bench", embed, "-t", "1", "-p", "32", "-r", "2", "--json"], { env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const [c] = (JSON.parse(r.stdout) as BenchRun).cells;
  assert.equal(c.ok, true, c.error);
  assert.equal(c.task, "embed");
  assert.ok(Math.abs(c.promptTokens! - 32) <= 4, `prompt calibrated to about 32 tokens, got ${c.promptTokens}`);
  assert.ok(c.prefillTokensPerSec!.median > 0 && c.latencyMs!.median > 0);
  assert.equal(c.decodeTokensPerSec, undefined);
  assert.equal(c.ttftMs, undefined);
});

test("hearth bench measures a YOLO detector as detection (not OCR) by latency", async () => {
  const { ensureYoloFixture } = await import("../../fixtures/yolo.ts");
  const r = await runHearth(["bench", ensureYoloFixture(), "-t", "1", "-r", "2", "--json"], { env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const [c] = (JSON.parse(r.stdout) as BenchRun).cells;
  assert.equal(c.ok, true, c.error);
  assert.equal(c.task, "detect");
  assert.equal(c.backend, "onnx");
  assert.ok(c.latencyMs!.median > 0);
  assert.equal(c.decodeTokensPerSec, undefined);
});

test("a bad option or value is one line and exit 2", async () => {
  const unknown = await runHearth(["bench", "x.gguf", "--frobnicate"], { env });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--frobnicate'/);
  const value = await runHearth(["bench", "x.gguf", "-p", "lots"], { env });
  assert.equal(value.code, 2);
  assert.equal(value.stderr.trim().split("\n").length, 1);
  assert.match(value.stderr, /--prompt-tokens got "lots".*whole number/);
  const kv = await runHearth(["bench", "x.gguf", "--kv-type", "f16,q3"], { env });
  assert.equal(kv.code, 2);
  assert.match(kv.stderr, /--kv-type got "q3"/);
  const quant = await runHearth(["bench", "x.gguf", "--quant", "Q8_0"], { env });
  assert.equal(quant.code, 2);
  assert.match(quant.stderr, /--quant applies to store names/);
  const shared = await runHearth(["bench", "x.gguf", "--backend", "llama,llama-mm", "--no-isolate"], { env });
  assert.equal(shared.code, 2);
  assert.match(shared.stderr, /two engines cannot both load/);
  const lb = await runHearth(["bench", "x.gguf", "--compare-llama-bench", path.join(home, "no-llama-bench")], { env });
  assert.equal(lb.code, 2);
  assert.match(lb.stderr, /no llama-bench at/);
});

test("a cell that takes too long is stopped and recorded; an engine that cannot read the format is not tried", async () => {
  // random whisper weights decode until the token limit: far longer than the limit given
  const whisper = await ensureWhisperFixture();
  const r = await runHearth(
    ["bench", whisper, "--backend", "whisper,llama", "-r", "1", "--audio-seconds", "1", "--timeout", "3", "--json"],
    { env, timeoutMs: 120_000 },
  );
  assert.equal(r.code, 1, "every cell failed");
  assert.match(r.stderr, /every cell failed; the first: the cell took longer than 3 s and was stopped/);
  const s = await runHearth(["bench", whisper, "--backend", "llama", "-r", "1"], { env });
  assert.match(s.stderr, /engine "llama" does not run ggml models \(it runs gguf\)/);
});

test("when every cell fails, bench says why and exits non-zero", async () => {
  const r = await runHearth(["bench", path.join(home, "nothing.gguf"), "--reps", "1"], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /every cell failed.*no model file/);
});
