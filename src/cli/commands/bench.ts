// `hearth bench <model...>`: measures a matrix of models x engines/devices x threads x batch x
// context (x flash attention x KV-cache type x GPU layers) and prints a table, JSON, or a
// self-contained HTML report with charts; optionally side by side with llama.cpp's llama-bench.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import cliProgress from "cli-progress";
import type { CommandModule } from "../command.ts";
import { printJson, printTable, formatBytes } from "../output.ts";
import { HearthError } from "../../errors/HearthError.ts";
import type { DeviceKind } from "../../model/types.ts";
import type { LoadOptions } from "../../backends/types.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { isStoreName, splitList, withQuants, type MatrixAxes, expandMatrix } from "../../bench/matrix.ts";
import { runBench, type BenchProgress } from "../../bench/runBench.ts";
import { DEFAULT_SETTINGS, type BenchRun, type BenchSettings } from "../../bench/types.ts";
import { renderReport } from "../../bench/report.ts";
import { compareWithLlamaBench, findLlamaBench } from "../../bench/llamaBench.ts";
import { nvidiaGpus } from "../../bench/machine.ts";
import type { Summary } from "../../bench/stats.ts";
import { compareWithBaseline, readBaseline } from "../../bench/regression.ts";
import type { GateResult } from "../../bench/types.ts";

interface BenchFlags {
  backend?: string[];
  quant?: string[];
  device?: string[];
  threads?: string[];
  batchSize?: string[];
  ctxSize?: string[];
  flashAttn?: string[];
  kvType?: string[];
  gpuLayers?: string[];
  promptTokens: string;
  genTokens: string;
  reps: string;
  warmup: string;
  seed: string;
  promptFile?: string;
  audioSeconds: string;
  isolate: boolean;
  timeout?: string;
  json?: boolean;
  report?: string;
  compareLlamaBench?: string | boolean;
  baseline?: string;
  maxRegression?: string;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

function bad(option: string, value: string, want: string): never {
  throw new HearthError("bad_input", `${option} got "${value}"`, { hint: `give ${want}` });
}

function int(option: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) bad(option, value, `a whole number >= ${min}`);
  return n;
}

function ints(option: string, values: string[] | undefined, min: number): number[] | undefined {
  const l = splitList(values);
  return l.length ? l.map((v) => int(option, v, min)) : undefined;
}

function choices<T extends string>(option: string, values: string[] | undefined, allowed: readonly T[]): T[] | undefined {
  const l = splitList(values);
  for (const v of l) if (!allowed.includes(v as T)) bad(option, v, `one of ${allowed.join(", ")} (comma-separated for several)`);
  return l.length ? (l as T[]) : undefined;
}

export function axesFrom(models: string[], f: BenchFlags): MatrixAxes {
  const fa = choices("--flash-attn", f.flashAttn, ["on", "off"] as const);
  const layers = splitList(f.gpuLayers).map((v) => (v === "max" ? ("max" as const) : int("--gpu-layers", v, 0)));
  const quants = splitList(f.quant);
  if (quants.length && !models.some(isStoreName)) {
    throw new HearthError("bad_input", "--quant applies to store names (org/repo), and none was given", {
      hint: "give org/repo names, or the quant files' paths as models",
    });
  }
  return {
    models: withQuants(models, quants),
    backends: splitList(f.backend).length ? splitList(f.backend) : undefined,
    // the machine's defaults: CPU, plus the GPU where there is one; threads = physical cores
    devices: choices<DeviceKind>("--device", f.device, ["cpu", "gpu", "npu"]) ?? (nvidiaGpus().length ? ["cpu", "gpu"] : ["cpu"]),
    threads: ints("--threads", f.threads, 1) ?? [physicalCores()],
    batchSizes: ints("--batch-size", f.batchSize, 1),
    contextSizes: ints("--ctx-size", f.ctxSize, 16),
    flashAttention: fa?.map((v) => v === "on"),
    kvCacheTypes: choices<NonNullable<LoadOptions["kvCacheType"]>>("--kv-type", f.kvType, ["f16", "q8_0", "q4_0"]),
    gpuLayers: layers.length ? layers : undefined,
  };
}

export function settingsFrom(f: BenchFlags): BenchSettings {
  const audio = Number(f.audioSeconds);
  if (!(audio > 0 && audio <= 3600)) bad("--audio-seconds", f.audioSeconds, "seconds between 0 and 3600");
  return {
    promptTokens: int("--prompt-tokens", f.promptTokens, 1),
    genTokens: int("--gen-tokens", f.genTokens, 1),
    reps: int("--reps", f.reps, 1),
    warmup: int("--warmup", f.warmup, 0),
    seed: int("--seed", f.seed, 0),
    promptFile: f.promptFile ? path.resolve(f.promptFile) : undefined,
    audioSeconds: audio,
    isolate: f.isolate,
    cellTimeoutSec: f.timeout === undefined ? undefined : int("--timeout", f.timeout, 1),
  };
}

const n = (s?: Summary, digits = 1) => (s ? `${s.median.toFixed(digits)} (p95 ${s.p95.toFixed(digits)})` : "-");

function printRun(run: BenchRun): void {
  const models = [...new Set(run.cells.map((c) => c.cell.model))];
  const st = run.settings;
  const prompt = st.promptFile ? `prompt from ${st.promptFile}` : `${st.promptTokens}-token prompt`;
  process.stdout.write(
    `${models.join(", ")} on ${run.machine.cpu} (${run.machine.physicalCores} cores): ${prompt}, ${st.genTokens} generated tokens, ` +
      `${st.reps} repetition(s) after ${st.warmup} warm-up; median (p95)\n\n`,
  );
  const speech = run.cells.some((c) => c.realTimeFactor);
  const image = run.cells.some((c) => c.stepMs);
  const rows = [
    [
      "cell",
      "engine/device",
      "load ms",
      "prefill tok/s",
      "decode tok/s",
      "TTFT ms",
      "latency ms",
      ...(speech ? ["RTF"] : []),
      ...(image ? ["ms/step"] : []),
      "peak RSS",
      "peak GPU",
      "errors",
    ],
  ];
  for (const c of run.cells) {
    rows.push([
      c.label,
      c.backend ? `${c.backend}/${c.device}` : "-",
      c.loadMs === undefined ? "-" : c.loadMs.toFixed(0),
      n(c.prefillTokensPerSec),
      n(c.decodeTokensPerSec),
      n(c.ttftMs),
      n(c.latencyMs),
      ...(speech ? [n(c.realTimeFactor, 3)] : []),
      ...(image ? [n(c.stepMs, 2)] : []),
      c.peakRssBytes === undefined ? "-" : formatBytes(c.peakRssBytes),
      c.peakGpuBytes === undefined ? "n/a" : formatBytes(c.peakGpuBytes),
      c.ok ? `${c.errors}/${c.reps}` : `failed: ${c.error ?? "unknown"}`,
    ]);
  }
  printTable(rows);
  if (run.llamaBench?.length) {
    process.stdout.write("\nagainst llama-bench (ours / theirs, tokens/s):\n");
    printTable([
      ["cell", "prefill", "decode"],
      ...run.llamaBench.map((r) => [
        r.label,
        r.error
          ? `error: ${r.error}`
          : `${r.prefillRatio?.toFixed(2) ?? "?"}x (${r.ours.prefillTokensPerSec?.toFixed(1) ?? "?"} / ${r.theirs.prefillTokensPerSec?.toFixed(1) ?? "?"})`,
        r.error
          ? ""
          : `${r.decodeRatio?.toFixed(2) ?? "?"}x (${r.ours.decodeTokensPerSec?.toFixed(1) ?? "?"} / ${r.theirs.decodeTokensPerSec?.toFixed(1) ?? "?"})`,
      ]),
    ]);
  }
}

const gateValue = (v: number, unit: string) =>
  unit === "bytes" ? formatBytes(v) : `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2)}${unit ? ` ${unit}` : ""}`;

/** The per-cell table of changes against the baseline. */
function printGate(g: GateResult, file: string): void {
  process.stdout.write(`\nagainst the baseline ${file} (measured ${g.baselineStartedAt}), at most ${g.maxRegressionPct}% worse allowed:\n`);
  printTable([
    ["cell", "metric", "baseline", "now", "change", ""],
    ...g.rows.map((r) => [
      r.label,
      r.metric,
      gateValue(r.baseline, r.unit),
      gateValue(r.current, r.unit),
      `${r.changePct >= 0 ? "+" : ""}${r.changePct.toFixed(1)}%`,
      r.regressed ? `REGRESSED (${r.worsePct.toFixed(1)}% worse)` : r.worsePct < 0 ? "better" : "ok",
    ]),
    ...g.failedCells.map((label) => [label, "-", "ran", "failed", "", "REGRESSED (failed)"]),
  ]);
  for (const s of g.skipped) process.stdout.write(`not compared: ${s.label} (${s.why})\n`);
}

function maxRegression(f: BenchFlags): number | undefined {
  if (f.maxRegression !== undefined && !f.baseline) bad("--max-regression", f.maxRegression, "it together with --baseline FILE");
  if (!f.baseline) return undefined;
  const pct = Number(f.maxRegression ?? 10);
  if (!(pct >= 0 && pct < 1000)) bad("--max-regression", String(f.maxRegression), "a percentage, e.g. 10");
  return pct;
}

/** Progress on stderr: a bar on a terminal, one line per finished cell otherwise (never with --json on a pipe). */
function progressReporter(cells: number, quiet: boolean) {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: "{bar} {value}/{total} cells | {label} {phase}", hideCursor: true, clearOnComplete: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    bar.start(cells, 0, { label: "", phase: "" });
    return {
      update(p: BenchProgress) {
        const phase = p.phase === "rep" ? `rep ${p.rep}/${p.of}` : p.phase;
        bar.update(p.phase === "done" ? p.index + 1 : p.index, { label: p.label, phase });
      },
      stop: () => bar.stop(),
    };
  }
  return {
    update(p: BenchProgress) {
      if (quiet || p.phase !== "done" || !p.result) return;
      const r = p.result;
      const what = !r.ok
        ? `failed: ${r.error}`
        : r.decodeTokensPerSec
          ? `decode ${n(r.decodeTokensPerSec)} tok/s, prefill ${n(r.prefillTokensPerSec)} tok/s`
          : `latency ${n(r.latencyMs)} ms${r.realTimeFactor ? `, real-time factor ${n(r.realTimeFactor, 3)}` : ""}${r.stepMs ? `, ${n(r.stepMs, 2)} ms/step` : ""}`;
      process.stderr.write(`[${p.index + 1}/${p.cells}] ${p.label}: ${what}\n`);
    },
    stop: () => {},
  };
}

export default {
  register(program: Command) {
    program
      .command("bench")
      .description(
        "measure models on this machine: a matrix of models x engines/devices x threads x batch/context, with median/p95 speed, memory and errors",
      )
      .argument("<model...>", "models to measure: paths or store names (quant variants are separate models)")
      .option("--backend <names>", "engines to compare (comma-separated or repeated); default: the one hearth picks", collect)
      .option("-q, --quant <list>", "quant variants of store models, e.g. Q8_0,Q4_K_M (org/repo becomes org/repo:Q8_0, ...)", collect)
      .option("--device <kinds>", "cpu, gpu, npu (comma-separated or repeated); default: cpu, and gpu where there is one", collect)
      .option("-t, --threads <list>", `thread counts, e.g. 1,2 (default: physical cores, ${physicalCores()})`, collect)
      .option("-b, --batch-size <list>", "batch sizes (default: the engine's)", collect)
      .option("-c, --ctx-size <list>", "context sizes (default: prompt + generation)", collect)
      .option("--flash-attn <on,off>", "flash attention settings to compare", collect)
      .option("--kv-type <types>", "KV-cache types to compare: f16, q8_0, q4_0", collect)
      .option("--gpu-layers <list>", "GPU layer counts for GPU cells (a number or max)", collect)
      .option("-p, --prompt-tokens <n>", "prompt length in tokens", String(DEFAULT_SETTINGS.promptTokens))
      .option("-n, --gen-tokens <n>", "tokens to generate per repetition", String(DEFAULT_SETTINGS.genTokens))
      .option("-r, --reps <n>", "measured repetitions per cell", String(DEFAULT_SETTINGS.reps))
      .option("--warmup <n>", "unmeasured warm-up runs per cell", String(DEFAULT_SETTINGS.warmup))
      .option("--seed <n>", "seed for the synthetic prompt and sampling", String(DEFAULT_SETTINGS.seed))
      .option("--prompt-file <file>", "use this text as the prompt instead of a synthetic one")
      .option("--audio-seconds <s>", "speech models: seconds of test audio", String(DEFAULT_SETTINGS.audioSeconds))
      .option("--no-isolate", "run cells in this process (default: a fresh process per cell, so memory is per cell)")
      .option("--timeout <s>", "stop a cell that takes longer than this (seconds) and record it as failed")
      .option("--json", "print the results as JSON")
      .option("--report <file.html>", "also write a self-contained HTML report with charts")
      .addOption(
        new Option("--compare-llama-bench [path]", "also run llama.cpp's llama-bench on the same cells and print our/their ratios"),
      )
      .option("--baseline <file>", "compare each cell's medians and peak memory with a saved `hearth bench --json` result from this device")
      .option("--max-regression <pct>", "with --baseline: fail (exit 3) when a cell is more than this many percent worse (default 10)")
      .action(async (models: string[], f: BenchFlags) => {
        const axes = axesFrom(models, f);
        const settings = settingsFrom(f);
        const allowed = maxRegression(f);
        // read before measuring: a bad file is found in a second, not after the whole matrix
        const baseline = f.baseline ? readBaseline(path.resolve(f.baseline)) : undefined;
        if (!settings.isolate && (axes.backends?.length ?? 0) > 1) {
          // two llama.cpp bindings in one process crash it (DESIGN.md): engines need a process each
          throw new HearthError("bad_input", "--no-isolate runs every cell in this process, where two engines cannot both load", {
            hint: "compare engines without --no-isolate",
          });
        }
        const llamaBench = f.compareLlamaBench
          ? findLlamaBench(typeof f.compareLlamaBench === "string" ? f.compareLlamaBench : undefined)
          : undefined;
        const progress = progressReporter(expandMatrix(axes).length, false);
        let run: BenchRun;
        try {
          run = await runBench(axes, settings, (p) => progress.update(p));
        } finally {
          progress.stop();
        }
        if (llamaBench) {
          run.llamaBench = await compareWithLlamaBench(llamaBench, run.cells, settings, (label) => {
            if (!f.json || process.stderr.isTTY) process.stderr.write(`llama-bench: ${label}\n`);
          });
        }
        if (f.report) {
          const file = path.resolve(f.report);
          writeFileSync(file, renderReport(run));
          if (!f.json) process.stderr.write(`report: ${file}\n`);
        }
        if (baseline && allowed !== undefined) {
          try {
            run.regression = compareWithBaseline(baseline, run, allowed);
          } catch (e) {
            if (!(e instanceof RangeError)) throw e;
            throw new HearthError("bad_input", e.message, { hint: "the baseline must come from this device and the same cells" });
          }
        }
        if (f.json) printJson(run);
        else {
          printRun(run);
          if (run.regression) printGate(run.regression, f.baseline!);
        }
        if (run.cells.every((c) => !c.ok)) {
          throw new HearthError("internal", `every cell failed; the first: ${run.cells[0]?.error ?? "unknown"}`, {
            hint: "check the model and options; --verbose shows more",
          });
        }
        const g = run.regression;
        if (g && !g.passed) {
          const worst = [...g.rows].sort((a, b) => b.worsePct - a.worsePct)[0];
          const what = g.failedCells.length
            ? `${g.failedCells.length} cell(s) failed that ran in the baseline (${g.failedCells[0]})`
            : `${worst.label} ${worst.metric} is ${worst.worsePct.toFixed(1)}% worse`;
          throw new HearthError("regression", `performance regression past ${g.maxRegressionPct}%: ${what}`, {
            hint: "see the table; if the change is intended, save this run as the new baseline",
          });
        }
      });
  },
} satisfies CommandModule;
