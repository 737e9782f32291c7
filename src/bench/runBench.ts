// Runs a whole benchmark matrix, one cell after another (cells never overlap: they would measure
// each other), and gathers the results with the machine's description and the exact settings.
import { readFileSync } from "node:fs";
import { expandMatrix, cellLabel, type BenchCell, type MatrixAxes } from "./matrix.ts";
import { cpuDeviceKey, describeMachine, deviceKeys } from "./machine.ts";
import { readEnv } from "../config/env.ts";
import type { BenchRun, BenchSettings, CellResult } from "./types.ts";
import type { CellProgress } from "./measureCell.ts";
import { runCell } from "./runCell.ts";
import type { ModelFormat } from "../model/types.ts";
import { backendDescriptors } from "../backends/registry.ts";
import { oneLine } from "./measureCell.ts";
import { resolveModel } from "../resolve/resolveModel.ts";

export interface BenchProgress extends CellProgress {
  /** 0-based cell index */
  index: number;
  cells: number;
  label: string;
  /** set when phase is "done" */
  result?: CellResult;
}

function hearthVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** A cell whose named engine cannot read the model's format fails at once, without a process. */
function wrongFormat(cell: BenchCell, format: ModelFormat | undefined): string | undefined {
  const d = cell.backend ? backendDescriptors().find((x) => x.name === cell.backend) : undefined;
  if (!d || !format || d.formats.includes(format)) return undefined;
  return `engine "${d.name}" does not run ${format} models (it runs ${d.formats.join(", ")})`;
}

/** The profile key of the device a cell ran on; a GPU's names the API the engine used ("gpu/cuda"). */
async function measuredDeviceKey(r: CellResult): Promise<string> {
  if (r.cell.device === "cpu") return cpuDeviceKey();
  const api = r.device?.includes("/") ? r.device.split("/")[1] : undefined;
  return (await deviceKeys(r.cell.device, readEnv().home, api).catch(() => []))[0] ?? `${r.cell.device}:unknown`;
}

export async function runBench(
  axes: MatrixAxes,
  settings: BenchSettings,
  onProgress: (p: BenchProgress) => void = () => {},
): Promise<BenchRun> {
  const cells: BenchCell[] = expandMatrix(axes);
  const startedAt = new Date().toISOString();
  const results: CellResult[] = [];
  // resolve (and pull, for store names not yet installed) each model once, before any cell runs
  const unresolvable = new Map<string, string>();
  const formats = new Map<string, ModelFormat>();
  for (const model of new Set(cells.map((c) => c.model))) {
    await resolveModel(model).then(
      (f) => formats.set(model, f.format),
      (e) => unresolvable.set(model, oneLine(e)),
    );
  }
  for (const [index, cell] of cells.entries()) {
    const label = cellLabel(cell, cells);
    const error = unresolvable.get(cell.model) ?? wrongFormat(cell, formats.get(cell.model));
    const result: CellResult = error
      ? { cell, label, ok: false, error, reps: 0, errors: 0, errorRate: 1 }
      : await runCell(cell, label, settings, (p) => {
          if (p.phase !== "done") onProgress({ ...p, index, cells: cells.length, label });
        });
    if (result.ok) result.deviceKey = await measuredDeviceKey(result);
    results.push(result);
    onProgress({ phase: "done", index, cells: cells.length, label, result });
  }
  return { hearth: hearthVersion(), startedAt, finishedAt: new Date().toISOString(), machine: describeMachine(), settings, cells: results };
}
