// The parent side of a runner process: a LoadedModel whose engine lives in a child process.
// run() streams the child's events; an AbortSignal crosses as an "abort" message; dispose() asks the
// child to release the model, then kills it. A child that dies mid-request ends that request with
// HearthError "runner_crashed"; the runner is then dead (`alive` false) and the owner starts a new one.
import type { ChildProcess } from "node:child_process";
import type { DeviceProbe, LoadedModel, LoadedModelInfo, LoadOptions } from "../backends/types.ts";
import type { ModelFiles } from "../model/types.ts";
import type { TaskEvent, TaskRequest } from "../model/task.ts";
import { HearthError, errorFromJSON } from "../errors/HearthError.ts";
import { entryBeside, startTsChild } from "../process/tsChild.ts";
import { readEnv } from "../config/env.ts";
import { EventQueue } from "../streams/eventQueue.ts";
import { runtimeEvents } from "./events.ts";
import type { FromRunner, ToRunner } from "./runnerProtocol.ts";

const ENTRY = entryBeside(import.meta.url, "./runnerEntry.ts");
/** how long dispose() waits for the engine to release before killing the runner */
const DISPOSE_GRACE_MS = 3000;

export interface RunnerStartOptions {
  backend: string;
  files: ModelFiles;
  options: LoadOptions;
  /** the model as the user named it, for messages and events */
  modelName: string;
  /** forward engine logs to our stderr (otherwise only the last lines are kept for error messages) */
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
  /** the engine's probe from the machine description (else the runner probes) */
  probes?: DeviceProbe[];
}

export class RunnerModel implements LoadedModel {
  private nextId = 1;
  private pending = new Map<number, EventQueue>();
  private exited = false;
  private disposing = false;
  private exitWaiters: Array<() => void> = [];

  private constructor(
    private child: ChildProcess,
    private tail: () => string,
    readonly info: LoadedModelInfo,
    private opts: RunnerStartOptions,
  ) {}

  /** The child's process id (tests kill it to prove crashes are contained). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** how the runner ended ("killed by SIGKILL", "exit code 134: <last log line>"), once it has */
  exitDescription?: string;

  /** Starts a runner and loads the model in it. Rejects with the engine's own error when the load fails. */
  static async start(opts: RunnerStartOptions): Promise<RunnerModel> {
    const { child, tail } = startTsChild(ENTRY, { env: opts.env, inheritOutput: opts.verbose ?? readEnv().debug });
    const t0 = performance.now();
    const info = await new Promise<LoadedModelInfo>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => {
        reject(
          new HearthError(
            "runner_crashed",
            `the ${opts.backend} runner died while loading ${opts.modelName} on the ${opts.options.device} (${signal ?? `exit code ${code}`})${tail() ? `: ${tail()}` : ""}`,
            {
              hint: "run with --verbose to see the engine's log",
            },
          ),
        );
      };
      const onMessage = (m: FromRunner) => {
        if (m.type !== "loaded" && m.type !== "loadFailed") return;
        child.off("exit", onExit);
        child.off("message", onMessage);
        if (m.type === "loaded") resolve(m.info);
        else {
          child.kill("SIGKILL");
          reject(errorFromJSON(m.error));
        }
      };
      child.on("exit", onExit);
      child.on("message", onMessage);
      child.once("error", (e) =>
        reject(
          new HearthError("runner_crashed", `could not start a runner process: ${e.message}`, {
            hint: "check that node can start child processes here",
            cause: e,
          }),
        ),
      );
      child.send({ type: "load", backend: opts.backend, files: opts.files, options: opts.options, probes: opts.probes } satisfies ToRunner);
    });
    const runner = new RunnerModel(
      child,
      tail,
      { ...info, settings: { ...info.settings, isolated: true, runnerPid: child.pid }, loadMs: performance.now() - t0 },
      opts,
    );
    runner.listen();
    return runner;
  }

  /** Asks an engine's probe() in a throwaway runner: what devices it can really use here. */
  static async probe(backend: string, timeoutMs = 60_000): Promise<DeviceProbe[]> {
    const { child, tail } = startTsChild(ENTRY);
    return new Promise<DeviceProbe[]>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve([{ device: "cpu", api: "cpu", available: false, reason: `probe timed out after ${timeoutMs} ms` }]);
      }, timeoutMs);
      child.on("message", (m: FromRunner) => {
        if (m.type !== "probes") return;
        clearTimeout(timer);
        resolve(m.probes);
        child.kill("SIGKILL");
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        // resolve is a no-op when the probes already arrived
        resolve([
          {
            device: "cpu",
            api: "cpu",
            available: false,
            reason: `probe process died (${signal ?? `code ${code}`})${tail() ? `: ${tail()}` : ""}`,
          },
        ]);
      });
      child.send({ type: "probe", backend } satisfies ToRunner);
    });
  }

  private listen() {
    this.child.on("message", (m: FromRunner) => {
      if (m.type === "events") {
        for (const b of m.batches) {
          const p = this.pending.get(b.id);
          if (p) for (const e of b.events) p.push(e);
        }
      } else if (m.type === "done") this.finish(m.id);
      else if (m.type === "failed") this.finish(m.id, errorFromJSON(m.error));
    });
    this.child.on("exit", (code, signal) => {
      this.exited = true;
      for (const w of this.exitWaiters) w();
      if (this.disposing) return;
      const how = signal ? `killed by ${signal}` : `exit code ${code}`;
      const detail = this.tail();
      this.exitDescription = detail ? `${how}: ${detail}` : how;
      for (const [id, p] of this.pending) {
        p.end(
          new HearthError(
            "runner_crashed",
            `the ${this.opts.backend} runner for ${this.opts.modelName} on the ${this.info.device} died during the request (${how})${detail ? `: ${detail}` : ""}`,
            {
              hint: "the next request starts a new runner; run with --verbose to see the engine's log",
            },
          ),
        );
        this.pending.delete(id);
      }
      runtimeEvents.emit("runnerExit", {
        model: this.opts.modelName,
        backend: this.opts.backend,
        device: this.info.device,
        code,
        signal,
        at: new Date().toISOString(),
      });
    });
  }

  private finish(id: number, error?: unknown) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.end(error);
  }

  async *run(request: TaskRequest, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    if (this.exited) {
      throw new HearthError("runner_crashed", `the ${this.opts.backend} runner for ${this.opts.modelName} is not running`, {
        hint: "load the model again",
      });
    }
    const id = this.nextId++;
    const q = new EventQueue();
    this.pending.set(id, q);
    // the caller stops waiting at once; the runner is told to stop its work
    const onAbort = () => {
      if (!this.exited) this.child.send({ type: "abort", id } satisfies ToRunner);
      this.finish(id, new HearthError("aborted", "the request was aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      this.child.send({ type: "run", id, request } satisfies ToRunner);
      yield* q.drain();
    } finally {
      signal?.removeEventListener("abort", onAbort);
      // the consumer stopped early (break): tell the runner to stop working on it
      if (this.pending.delete(id) && !this.exited) this.child.send({ type: "abort", id } satisfies ToRunner);
    }
  }

  async dispose(): Promise<void> {
    if (this.exited) return;
    this.disposing = true;
    for (const [id, p] of this.pending) p.end(new HearthError("aborted", "the model was unloaded")), this.pending.delete(id);
    const gone = new Promise<void>((r) => this.exitWaiters.push(r));
    this.child.send({ type: "dispose" } satisfies ToRunner);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), DISPOSE_GRACE_MS);
    await gone;
    clearTimeout(timer);
  }
}
