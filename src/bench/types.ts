// What a benchmark run is asked to do and what it finds: the shapes `hearth bench --json` prints
// and the HTML report draws.
import type { BenchCell } from "./matrix.ts";
import type { MachineInfo } from "./machine.ts";
import type { Summary } from "./stats.ts";

export interface BenchSettings {
  /** prompt length in tokens (synthetic prompts are calibrated to it); default 512 */
  promptTokens: number;
  /** tokens generated per repetition; default 128 */
  genTokens: number;
  /** measured repetitions per cell, after the warm-up; default 5 */
  reps: number;
  /** unmeasured runs before the repetitions; default 1 */
  warmup: number;
  /** sampling seed (greedy sampling is used, so the seed only matters to engines that sample anyway) */
  seed: number;
  /** a real prompt instead of a synthetic one (its length then sets the prompt tokens) */
  promptFile?: string;
  /** speech models: seconds of generated test audio; default 10 */
  audioSeconds: number;
  /** run each cell in a fresh process (true by default: per-cell peak memory, engines never share a process) */
  isolate: boolean;
  /** stop a cell (load, warm-up and repetitions) after this many seconds and record it as failed; isolated cells only */
  cellTimeoutSec?: number;
}

export const DEFAULT_SETTINGS: BenchSettings = {
  promptTokens: 512,
  genTokens: 128,
  reps: 5,
  warmup: 1,
  seed: 42,
  audioSeconds: 10,
  isolate: true,
};

/** The measurements of one cell. Rates are tokens/s, times ms, memory bytes. */
export interface CellResult {
  cell: BenchCell;
  label: string;
  /** false when the cell could not be measured at all (load failed, every repetition failed) */
  ok: boolean;
  /** the first error met, one line */
  error?: string;
  /** which engine and device really ran it, and with what settings */
  backend?: string;
  device?: string;
  /** the device's profile key (devices/deviceKey.ts): the regression gate compares only cells of the same key */
  deviceKey?: string;
  settings?: Record<string, unknown>;
  task?: string;
  loadMs?: number;
  /** repetitions attempted and failed (warm-up excluded) */
  reps: number;
  errors: number;
  errorRate: number;
  /** tokens in the prompt as the engine counted them, and tokens generated (median over repetitions) */
  promptTokens?: number;
  genTokens?: number;
  prefillTokensPerSec?: Summary;
  decodeTokensPerSec?: Summary;
  ttftMs?: Summary;
  /** request to final result */
  latencyMs?: Summary;
  /** speech: processing time / audio duration (lower is better) */
  realTimeFactor?: Summary;
  /** image generation: milliseconds per denoising step (UNet, guidance and scheduler) */
  stepMs?: Summary;
  /** peak resident memory of the process that held the model (VmHWM), and of that process before loading */
  peakRssBytes?: number;
  baselineRssBytes?: number;
  /** peak GPU memory; absent where there is no GPU to measure */
  peakGpuBytes?: number;
}

export interface BenchRun {
  hearth: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  settings: BenchSettings;
  cells: CellResult[];
  /** filled by --compare-llama-bench */
  llamaBench?: LlamaBenchComparison[];
  /** filled by --baseline: this run against a saved one (bench/regression.ts) */
  regression?: GateResult;
}

export interface LlamaBenchComparison {
  label: string;
  ours: { prefillTokensPerSec?: number; decodeTokensPerSec?: number };
  theirs: { prefillTokensPerSec?: number; decodeTokensPerSec?: number };
  /** ours / theirs */
  prefillRatio?: number;
  decodeRatio?: number;
  error?: string;
}

/** One metric of one cell against the baseline (`hearth bench --baseline`). */
export interface GateRow {
  label: string;
  metric: string;
  unit: string;
  baseline: number;
  current: number;
  /** signed change of the value, percent of the baseline (+10 = the number grew by 10%) */
  changePct: number;
  /** how much worse, percent of the baseline; negative when it got better */
  worsePct: number;
  regressed: boolean;
}

/** A run against a saved run from the same device (bench/regression.ts). */
export interface GateResult {
  maxRegressionPct: number;
  baselineStartedAt: string;
  rows: GateRow[];
  /** cells that failed now but ran in the baseline: each fails the gate */
  failedCells: string[];
  /** cells not compared, and why (no baseline for them, another device, failed in the baseline too) */
  skipped: Array<{ label: string; why: string }>;
  passed: boolean;
}
