// `hearth serve` as a user starts it: a child process (any command line that runs the CLI), its
// address read from the line it prints, ready when /health answers 200.
import { spawn, type ChildProcess } from "node:child_process";

export interface ServeProcess {
  child: ChildProcess;
  base: string;
  stdout(): string;
  stderr(): string;
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
}

export async function startServe(
  command: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ServeProcess> {
  const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let base: string | undefined;
  try {
    while (!base) {
      base = /hearth serving on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1];
      if (child.exitCode !== null) throw new Error(`hearth serve exited (${child.exitCode}):\n${out}\n${err}`);
      if (Date.now() > deadline) throw new Error(`hearth serve printed no address:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (;;) {
      const h = await fetch(`${base}/health`).catch(() => undefined);
      if (h?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`hearth serve never became ready:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return { child, base, stdout: () => out, stderr: () => err, exited };
}
