// The hardware regression gate: a run's cell medians against a saved run's (`hearth bench --json`)
// from the same device. A cell that got worse by more than the allowed percentage in any metric
// (slower decode or prefill, longer TTFT or latency, more peak memory), or that fails where it
// used to run, fails the gate.
import { readFileSync } from "node:fs";
import path from "node:path";
import { HearthError } from "../errors/HearthError.ts";
import { deviceKey } from "../devices/deviceKey.ts";
import { cellKey, isStoreName, type BenchCell } from "./matrix.ts";
import type { BenchRun, CellResult, GateResult, GateRow } from "./types.ts";

type Metric = {
  name: string;
  unit: string;
  better: "higher" | "lower";
  read: (c: CellResult) => number | undefined;
};

/** Every metric the gate compares: medians of the repetitions, and the cell process's peak memory. */
export const GATE_METRICS: readonly Metric[] = [
  { name: "decode", unit: "tok/s", better: "higher", read: (c) => c.decodeTokensPerSec?.median },
  { name: "prefill", unit: "tok/s", better: "higher", read: (c) => c.prefillTokensPerSec?.median },
  { name: "TTFT", unit: "ms", better: "lower", read: (c) => c.ttftMs?.median },
  { name: "latency", unit: "ms", better: "lower", read: (c) => c.latencyMs?.median },
  { name: "real-time factor", unit: "", better: "lower", read: (c) => c.realTimeFactor?.median },
  { name: "peak RSS", unit: "bytes", better: "lower", read: (c) => c.peakRssBytes },
  { name: "peak GPU", unit: "bytes", better: "lower", read: (c) => c.peakGpuBytes },
];

/** The device key of a cell: the one recorded with it, else (runs saved before cells carried one) the run's CPU. */
export function cellDeviceKey(run: BenchRun, c: CellResult): string {
  if (c.deviceKey) return c.deviceKey;
  if (c.cell.device === "cpu")
    return deviceKey({ device: "cpu", cpu: { model: run.machine.cpu, physicalCores: run.machine.physicalCores } });
  return `${c.cell.device}:unknown`;
}

/** A cell's identity across machines and clones: a model file by its name (its folder differs), a store name as it is. */
export function gateCellKey(c: BenchCell): string {
  return cellKey({ ...c, model: isStoreName(c.model) ? c.model : path.basename(c.model) });
}

/**
 * Compares each cell of `current` with the baseline's cell of the same settings on the same
 * device. Throws a RangeError when no cell can be compared (another machine, another matrix): a
 * gate that compares nothing must not pass.
 */
export function compareWithBaseline(baseline: BenchRun, current: BenchRun, maxRegressionPct: number): GateResult {
  if (!(maxRegressionPct >= 0)) throw new RangeError(`the allowed regression must be a percentage >= 0, got ${maxRegressionPct}`);
  const before = new Map(baseline.cells.map((c) => [gateCellKey(c.cell), c]));
  const rows: GateRow[] = [];
  const failedCells: string[] = [];
  const skipped: GateResult["skipped"] = [];
  let compared = 0;
  for (const now of current.cells) {
    const was = before.get(gateCellKey(now.cell));
    if (!was) {
      skipped.push({ label: now.label, why: "not in the baseline" });
      continue;
    }
    const [keyWas, keyNow] = [cellDeviceKey(baseline, was), cellDeviceKey(current, now)];
    if (keyWas !== keyNow) {
      skipped.push({ label: now.label, why: `baseline measured on ${keyWas}, this run on ${keyNow}` });
      continue;
    }
    if (!was.ok) {
      skipped.push({ label: now.label, why: "failed in the baseline too" });
      continue;
    }
    compared++;
    if (!now.ok) {
      failedCells.push(now.label);
      continue;
    }
    for (const m of GATE_METRICS) {
      const [b, v] = [m.read(was), m.read(now)];
      if (b === undefined || v === undefined || !(b > 0)) continue;
      const changePct = ((v - b) / b) * 100;
      const worsePct = m.better === "higher" ? -changePct : changePct;
      rows.push({
        label: now.label,
        metric: m.name,
        unit: m.unit,
        baseline: b,
        current: v,
        changePct,
        worsePct,
        regressed: worsePct > maxRegressionPct,
      });
    }
  }
  if (compared === 0) {
    const why = skipped[0] ? `${skipped[0].label}: ${skipped[0].why}` : "the run has no cells";
    throw new RangeError(`no cell of this run can be compared with the baseline (${why})`);
  }
  return {
    maxRegressionPct,
    baselineStartedAt: baseline.startedAt,
    rows,
    failedCells,
    skipped,
    passed: failedCells.length === 0 && rows.every((r) => !r.regressed),
  };
}

/** A saved `hearth bench --json` result; a clear error for a missing file or another shape. */
export function readBaseline(file: string): BenchRun {
  let run: Partial<BenchRun>;
  try {
    run = JSON.parse(readFileSync(file, "utf8")) as Partial<BenchRun>;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message.split("\n")[0];
    throw new HearthError("bad_input", `cannot read the baseline ${file}: ${why}`, {
      hint: "give a file written by `hearth bench --json`",
    });
  }
  if (!run || !Array.isArray(run.cells) || !run.machine || typeof run.startedAt !== "string") {
    throw new HearthError("bad_input", `${file} is not a \`hearth bench --json\` result`, {
      hint: "save one with `hearth bench ... --json > FILE`",
    });
  }
  return run as BenchRun;
}
