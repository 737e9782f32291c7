// Runs one cell, isolated in a fresh child process (the default) or in this process.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchCell } from "./matrix.ts";
import type { BenchSettings, CellResult } from "./types.ts";
import { measureCell, type CellProgress } from "./measureCell.ts";
import type { CellJob } from "./cellProcess.ts";

const entry = fileURLToPath(new URL("./cellProcess.ts", import.meta.url));
// the child runs TypeScript like the CLI does, through tsx
const tsx = import.meta.resolve("tsx");

export function runCell(cell: BenchCell, label: string, settings: BenchSettings, onProgress: (p: CellProgress) => void = () => {}): Promise<CellResult> {
  if (!settings.isolate) return measureCell(cell, label, settings, onProgress);
  return new Promise((resolve) => {
    const child = fork(entry, [], { execArgv: ["--import", tsx], stdio: ["ignore", "ignore", "pipe", "ipc"] });
    let result: CellResult | undefined;
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    child.on("message", (m: { type: string; progress?: CellProgress; result?: CellResult }) => {
      if (m.type === "progress" && m.progress) onProgress(m.progress);
      if (m.type === "result") result = m.result;
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (result) return resolve(result);
      // the engine took the process down (a native crash): record it, go on with the next cell
      const last = stderr.trim().split("\n").filter(Boolean).pop();
      resolve({
        cell, label, ok: false, reps: 0, errors: 0, errorRate: 1,
        error: `the cell's process ended (${signal ?? `exit ${code}`}) before a result${last ? `: ${last.slice(0, 300)}` : ""}`,
      });
    };
    child.on("exit", finish);
    child.on("error", () => finish(null, null));
    child.send({ cell, label, settings } satisfies CellJob);
  });
}
