// Runs benchmark cells in a child process (the default) or in this process.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchCell } from "./matrix.ts";
import type { BenchSettings, CellResult } from "./types.ts";
import { measureCell, type CellProgress } from "./measureCell.ts";
import type { CellJob } from "./cellProcess.ts";
import { entryBeside, execArgvFor } from "../process/tsChild.ts";

// compiled JS from the package, the TypeScript source through tsx in development
const entry = fileURLToPath(entryBeside(import.meta.url, "./cellProcess.ts"));

type Message = { type: "progress"; progress: CellProgress } | { type: "result"; result: CellResult };

/** A child process that measures cells one after another; a crash fails that cell and the next one gets a new process. */
export class CellWorker {
  private child?: ChildProcess;
  private stderr = "";

  private spawn(): ChildProcess {
    const child = fork(entry, [], { execArgv: execArgvFor(entry), stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.stderr = "";
    child.stderr?.on("data", (d) => {
      this.stderr = (this.stderr + d).slice(-8000);
    });
    return child;
  }

  /** The engine's last words before a crash: its error lines if any, else its last line. */
  private crashReason(): string | undefined {
    const lines = this.stderr.trim().split("\n").filter(Boolean);
    const said = lines.filter((l) => /error|fail|not supported|does not|cannot|abort/i.test(l)).pop() ?? lines.pop();
    return said?.slice(0, 300);
  }

  run(cell: BenchCell, label: string, settings: BenchSettings, onProgress: (p: CellProgress) => void = () => {}): Promise<CellResult> {
    this.child ??= this.spawn();
    const child = this.child;
    return new Promise((resolve) => {
      let timedOut = false;
      const timer = settings.cellTimeoutSec
        ? setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, settings.cellTimeoutSec * 1000)
        : undefined;
      const onMessage = (m: Message) => {
        if (m.type === "progress") onProgress(m.progress);
        else {
          cleanup();
          resolve(m.result);
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        this.child = undefined;
        // the engine took the process down (a native crash): record it, go on with the next cell
        const why = this.crashReason();
        resolve({
          cell,
          label,
          ok: false,
          reps: 0,
          errors: 0,
          errorRate: 1,
          error: timedOut
            ? `the cell took longer than ${settings.cellTimeoutSec} s and was stopped`
            : `the cell's process ended (${signal ?? `exit ${code}`}) before a result${why ? `: ${why}` : ""}`,
        });
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
      };
      child.on("message", onMessage);
      child.on("exit", onExit);
      child.send({ cell, label, settings } satisfies CellJob);
    });
  }

  /** Lets the child go (it exits when disconnected). */
  close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.disconnect();
    });
  }
}

/** One cell: in a fresh process when settings.isolate (its peak memory is then its own), else here (no time limit then). */
export async function runCell(
  cell: BenchCell,
  label: string,
  settings: BenchSettings,
  onProgress: (p: CellProgress) => void = () => {},
): Promise<CellResult> {
  if (!settings.isolate) return measureCell(cell, label, settings, onProgress);
  const worker = new CellWorker();
  try {
    return await worker.run(cell, label, settings, onProgress);
  } finally {
    await worker.close();
  }
}
