// Runs a benchmark's reference programs (llama-bench, llama-batched-bench, /usr/bin/time) from a
// helper process started before any model loads, so the process that measures hearth never forks
// while it holds one. A fork marks every writable page of the forking process copy-on-write, and the
// process's next write to each page faults: after one llama-bench run, the tiny fixture's next
// 512-token prefill took about 900 page faults, 3-4x its time on a VM where faults are slow
// (docs/benchmarks.md, "2026-12-04 (evening)").
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

interface Reply {
  id: number;
  stdout: string;
  stderr: string;
  error?: { message: string; code: number | string | null };
}

export class Spawner {
  private readonly child: ChildProcess;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  constructor() {
    this.child = fork(fileURLToPath(new URL("./spawnerChild.mjs", import.meta.url)), [], {
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: Reply) => {
      this.waiting.get(m.id)?.resolve(m);
      this.waiting.delete(m.id);
    });
    this.child.on("exit", (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the spawner process exited (${code})`));
      this.waiting.clear();
    });
    this.child.unref();
    this.child.channel?.unref();
  }

  /** Runs `file` with `args` (as execFile); rejects with its stderr where it fails. */
  async run(file: string, args: string[], maxBuffer = 1 << 24): Promise<{ stdout: string; stderr: string }> {
    const id = this.next++;
    this.child.channel?.ref();
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        this.waiting.set(id, { resolve, reject });
        this.child.send({ id, file, args, maxBuffer });
      });
      if (reply.error) throw Object.assign(new Error(`${file} failed: ${reply.error.message}\n${reply.stderr}`), { stderr: reply.stderr });
      return { stdout: reply.stdout, stderr: reply.stderr };
    } finally {
      if (this.waiting.size === 0) this.child.channel?.unref();
    }
  }

  close(): void {
    this.child.disconnect();
  }
}
