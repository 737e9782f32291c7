// Entry of the process one benchmark cell runs in (see runCell.ts): receives the cell over IPC,
// measures it, sends progress and the result back, and exits. A fresh process per cell makes the
// peak memory that cell's own, and keeps engines that must not share a process apart.
import type { BenchCell } from "./matrix.ts";
import type { BenchSettings } from "./types.ts";
import { measureCell } from "./measureCell.ts";

export interface CellJob {
  cell: BenchCell;
  label: string;
  settings: BenchSettings;
}

process.once("message", async (job: CellJob) => {
  const result = await measureCell(job.cell, job.label, job.settings, (p) => process.send?.({ type: "progress", progress: p }));
  process.send?.({ type: "result", result }, () => process.exit(0));
});
