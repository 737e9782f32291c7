// Starts an entry file of hearth's own in a child process, with an IPC channel using advanced
// serialization (typed arrays travel as themselves). Probes and runners use it, so native code that
// faults (a GPU driver, an abort in llama.cpp) takes down the child, not hearth. From the compiled
// package (dist/*.js) the child is plain node; from the sources (src/*.ts, tests and development)
// it runs through tsx, which is then a devDependency that is installed.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

/**
 * The entry file `name` (written as its source, "./runnerEntry.ts") beside the module at `base`
 * (its import.meta.url): the compiled ".js" when `base` is compiled JavaScript, else the ".ts".
 */
export function entryBeside(base: string, name: string): URL {
  const compiled = base.endsWith(".js");
  return new URL(compiled ? name.replace(/\.ts$/, ".js") : name, base);
}

/** node's arguments that let a child run `file`: none for JavaScript, tsx's loader for TypeScript. */
export function execArgvFor(file: string): string[] {
  if (!file.endsWith(".ts")) return [];
  // resolved from hearth's own folder, so the child works whatever the user's cwd is
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return ["--import", tsxLoader];
}

export interface TsChildOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** forward the child's stdout and stderr (engine logs) to our stderr; otherwise kept as a tail for error messages */
  inheritOutput?: boolean;
}

export interface TsChild {
  child: ChildProcess;
  /** the last lines the child wrote to stderr/stdout (engine logs, a native abort message) */
  tail(): string;
}

export function startTsChild(entry: string | URL, options: TsChildOptions = {}): TsChild {
  const file = entry instanceof URL ? fileURLToPath(entry) : entry;
  const child = spawn(process.execPath, [...execArgvFor(file), file, ...(options.args ?? [])], {
    // a child's output is its engine's log: shown on our stderr, never on our stdout (--json output)
    stdio: options.inheritOutput ? ["ignore", 2, 2, "ipc"] : ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
    env: { ...process.env, ...options.env },
  });
  const lines: string[] = [];
  const keep = (d: Buffer) => {
    for (const l of d.toString().split("\n")) if (l.trim()) lines.push(l.trim());
    if (lines.length > 20) lines.splice(0, lines.length - 20);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, tail: () => lines.slice(-3).join(" | ") };
}

/**
 * Runs a one-shot child that sends exactly one message and exits. Resolves with the message;
 * rejects when the child dies first or runs past the timeout (then it is killed).
 */
export function runTsChildOnce<T>(entry: string | URL, options: TsChildOptions & { timeoutMs?: number } = {}): Promise<T> {
  const { child, tail } = startTsChild(entry, options);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill("SIGKILL");
      reject(new Error(`probe timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 60_000);
    child.once("message", (m) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(m as T);
      child.disconnect?.();
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(new Error(`probe process exited (${signal ?? `code ${code}`})${tail() ? `: ${tail()}` : ""}`));
    });
  });
}
