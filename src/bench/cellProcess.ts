// Entry of the process benchmark cells run in (see runCell.ts): receives cells over IPC one at a
// time, measures each, sends progress and the result back, and exits when the parent lets go.
// A fresh process per cell makes the peak memory that cell's own; tune reuses one process for its
// trials (the engine starts once) and starts another only when an engine crash took it down.
import type { BenchCell } from "./matrix.ts";
import type { BenchSettings } from "./types.ts";
import { measureCell } from "./measureCell.ts";

export interface CellJob {
  cell: BenchCell;
  label: string;
  settings: BenchSettings;
}

let queue = Promise.resolve();
process.on("message", (job: CellJob) => {
  queue = queue.then(async () => {
    const result = await measureCell(job.cell, job.label, job.settings, (p) => process.send?.({ type: "progress", progress: p }));
    process.send?.({ type: "result", result });
  });
});
process.on("disconnect", () => process.exit(0));
