// A model as the runtime keeps it: loaded on the first entry of the plan's fallback chain that
// works, in a runner process (isolate) or in this process. It moves to the next entry when a load
// fails, when the runner crashes twice on a device, or when decode speed stays under a third of the
// expectation for 3 requests (latency anomaly): one line on stderr, a `fallback` event, and a
// remembered failure (until `hearth plan --reset`). Requests that arrive while it moves wait and run
// on the new device; a request that had not produced anything when its runner died is run again.
// A request the engine in use refuses as unsupported (a text model measured faster on llama-mm, asked
// for tools or tokens) runs on the plan's next engine instead, loaded beside it on first need.
import type { DeviceProbe, LoadedModel, LoadedModelInfo } from "../backends/types.ts";
import type { TaskEvent, TaskRequest } from "../model/task.ts";
import type { GenerationResult } from "../model/tasks/text.ts";
import { HearthError, isHearthError } from "../errors/HearthError.ts";
import type { Plan, PlanCandidate } from "../planner/types.ts";
import { checkedLoad } from "./checkedLoad.ts";
import { loadingInProcess, placement, runnerEnv } from "./inProcess.ts";
import { runtimeEvents, type FallbackEvent } from "./events.ts";
import { rememberFailure } from "./fallbackStore.ts";
import { LatencyWatch, decodeSpeed } from "./latencyWatch.ts";
import { RunnerModel } from "./runner.ts";
import type { ModelFiles } from "../model/types.ts";

export interface ManagedModelOptions {
  files: ModelFiles;
  plan: Plan;
  /** the model as the user named it */
  modelName: string;
  /** what remembered failures are stored under */
  modelKey: string;
  home: string;
  /** a runner process per model (true), this process (false), or as each engine prefers (undefined) */
  isolate?: boolean;
  /** each engine's probe from the machine description the plan was made with */
  probes?: Record<string, DeviceProbe[]>;
  verbose?: boolean;
  /** where the one-line notices go (default stderr) */
  log?: (line: string) => void;
}

/** crashes on one device before moving to the next */
const CRASH_LIMIT = 2;

/** failures that say nothing about the device: another device would fail the same way */
const NOT_A_DEVICE_FAILURE = new Set([
  "model_not_found",
  "not_downloaded",
  "checksum_mismatch",
  "bad_input",
  "unsupported_task",
  "unsupported_media",
  "aborted",
]);

/** requests that may move to another engine when the one in use cannot run them; not the KV-cache
 * state, which belongs to the engine that ran the conversation */
const REROUTABLE: ReadonlySet<TaskRequest["task"]> = new Set(["chat", "complete", "tokenize", "detokenize", "render"]);

const label = (c: PlanCandidate) => `${c.backend}/${c.device}${c.api !== c.device && c.api !== "cpu" ? ` (${c.api})` : ""}`;
const oneLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

export class ManagedModel implements LoadedModel {
  private current!: LoadedModel;
  private index = 0;
  private crashes = 0;
  private watch!: LatencyWatch;
  /** requests in flight, each marked when another one ran beside it */
  private running = new Set<{ overlapped: boolean }>();
  /** set while moving to another device or restarting a runner: requests wait on it */
  private switching: Promise<void> | undefined;
  private disposed = false;
  /** the engine that runs what the one in use refuses (its chain index), loaded on first need */
  private helper: { index: number; model: Promise<LoadedModel> } | undefined;
  private helperLoaded: LoadedModel | undefined;
  /** the fallbacks this model went through, oldest first */
  readonly fallbacks: FallbackEvent[] = [];

  private constructor(private o: ManagedModelOptions) {}

  static async open(o: ManagedModelOptions): Promise<ManagedModel> {
    const m = new ManagedModel(o);
    await m.loadFrom(0);
    return m;
  }

  /** the engine in use; its memory includes the helper engine's once that is loaded (the server's
   * memory budget counts both) */
  get info(): LoadedModelInfo {
    const info = this.current.info;
    const helper = this.helperLoaded?.info.memoryBytes;
    return helper !== undefined && info.memoryBytes !== undefined ? { ...info, memoryBytes: info.memoryBytes + helper } : info;
  }

  get plan(): Plan {
    return this.o.plan;
  }

  /** the chain entry in use */
  get entry(): PlanCandidate {
    return this.o.plan.fallbackChain[this.index];
  }

  /** the runner's process id when isolated (the server's model status shows it; tests kill it) */
  get runnerPid(): number | undefined {
    return this.current instanceof RunnerModel ? this.current.pid : undefined;
  }

  private log(line: string) {
    (this.o.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  private async loadEntry(c: PlanCandidate): Promise<LoadedModel> {
    const probes = this.o.probes?.[c.backend];
    const where = await placement(c.backend, this.o.isolate);
    if (where.conflict)
      this.log(
        `hearth: ${this.o.modelName}: the ${c.backend} engine runs in a runner process: this process holds the ${where.conflict} engine, and the two crashed a process they shared`,
      );
    if (where.runner)
      return RunnerModel.start({
        backend: c.backend,
        env: await runnerEnv(c.backend),
        files: this.o.files,
        options: c.options,
        modelName: this.o.modelName,
        verbose: this.o.verbose,
        probes,
      });
    loadingInProcess(c.backend);
    return checkedLoad(c.backend, this.o.files, c.options, probes);
  }

  /** Loads the first entry from `start` on that works, recording a fallback for each that does not. */
  private async loadFrom(start: number): Promise<void> {
    const chain = this.o.plan.fallbackChain;
    for (let i = start; i < chain.length; i++) {
      try {
        this.current = await this.loadEntry(chain[i]);
        this.index = i;
        this.crashes = 0;
        this.watch = new LatencyWatch(chain[i].expectedDecodeTokensPerSec);
        return;
      } catch (e) {
        if (isHearthError(e) && NOT_A_DEVICE_FAILURE.has(e.code)) throw e;
        if (this.o.plan.strict) {
          const err = isHearthError(e) ? e : new HearthError("backend_unavailable", oneLine(e), { cause: e });
          throw new HearthError(err.code, `${err.message} (--strict: not falling back)`, {
            hint: "drop --strict to let hearth use the next device of the plan",
            cause: e,
          });
        }
        if (i + 1 >= chain.length) {
          if (i > start || start > 0)
            throw new HearthError(
              isHearthError(e) ? e.code : "backend_unavailable",
              `no device of the plan could load ${this.o.modelName}; the last said: ${oneLine(e)}`,
              { hint: "see `hearth plan` for the devices tried", cause: e },
            );
          throw e;
        }
        this.recordFallback(chain[i], chain[i + 1], `load failed: ${oneLine(e)}`);
      }
    }
  }

  private recordFallback(from: PlanCandidate, to: PlanCandidate, reason: string) {
    rememberFailure(this.o.home, this.o.modelKey, { backend: from.backend, device: from.device, reason, model: this.o.modelName });
    const event: FallbackEvent = {
      model: this.o.modelName,
      from: { backend: from.backend, device: from.device },
      to: { backend: to.backend, device: to.device },
      reason,
      at: new Date().toISOString(),
    };
    this.fallbacks.push(event);
    this.log(
      `hearth: ${this.o.modelName}: moving from ${label(from)} to ${label(to)}: ${reason} (remembered until \`hearth plan --reset\`)`,
    );
    runtimeEvents.emit("fallback", event);
  }

  /** whether a failure can move the model to another entry of the chain */
  private canMove(): boolean {
    return !this.o.plan.strict && this.index + 1 < this.o.plan.fallbackChain.length;
  }

  private stayNotice(reason: string) {
    this.log(
      `hearth: ${this.o.modelName} on ${label(this.entry)}: ${reason}; ${this.o.plan.strict ? "--strict: staying on it" : "no other device to move to"}`,
    );
  }

  /**
   * Moves to the next entry of the chain (call only when canMove()). The new device is loaded before
   * the old one is released, and the old one is released only when its requests have finished.
   */
  private move(reason: string): Promise<void> {
    this.recordFallback(this.entry, this.o.plan.fallbackChain[this.index + 1], reason);
    const old = this.current;
    const work = (async () => {
      await this.loadFrom(this.index + 1);
      void this.retire(old);
    })();
    this.switching = work.finally(() => (this.switching = undefined));
    return this.switching;
  }

  private inflight = new Map<LoadedModel, number>();
  private drained = new Map<LoadedModel, () => void>();

  private async retire(model: LoadedModel) {
    if ((this.inflight.get(model) ?? 0) > 0) await new Promise<void>((r) => this.drained.set(model, r));
    await model.dispose().catch(() => undefined);
  }

  /** The model to run on: waits for a move in progress; a dead runner is counted and replaced. */
  private async ready(): Promise<LoadedModel> {
    while (this.switching) await this.switching;
    if (this.disposed) throw new HearthError("aborted", "the model was unloaded");
    const cur = this.current;
    if (cur instanceof RunnerModel && !cur.alive) {
      const work = (async () => {
        this.crashes++;
        const reason = `the runner crashed ${this.crashes} times (last: ${cur.exitDescription ?? "unknown"})`;
        if (this.crashes >= CRASH_LIMIT) {
          if (this.canMove()) return this.move(reason);
          this.stayNotice(reason);
        }
        try {
          this.current = await this.loadEntry(this.entry);
        } catch (e) {
          if (!this.canMove()) throw e;
          await this.move(`a new runner did not load: ${oneLine(e)}`);
        }
      })();
      this.switching = work.finally(() => (this.switching = undefined));
      await this.switching;
    }
    return this.current;
  }

  async *run(request: TaskRequest, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    let retried = false;
    for (;;) {
      const model = await this.ready();
      let produced = false;
      let result: GenerationResult | undefined;
      let refused: { error: HearthError; helper: number } | undefined;
      const startedAt = performance.now();
      // requests decoded together share the device, so each one's speed falls with the company it
      // keeps: only a request that ran alone says how fast the device is
      const mine = { overlapped: this.running.size > 0 };
      for (const other of this.running) other.overlapped = true;
      this.running.add(mine);
      this.inflight.set(model, (this.inflight.get(model) ?? 0) + 1);
      try {
        for await (const event of model.run(request, signal)) {
          produced = true;
          if (event.type === "result" && (event.task === "chat" || event.task === "complete")) result = event.result as GenerationResult;
          yield event;
        }
      } catch (e) {
        // nothing reached the caller yet: the request had not started, so it runs on a new runner
        if (isHearthError(e) && e.code === "runner_crashed" && !produced && !retried && !signal?.aborted) {
          retried = true;
          continue;
        }
        const helper = produced ? undefined : this.helperIndex(request, e);
        if (helper === undefined) throw e;
        refused = { error: e as HearthError, helper };
      } finally {
        this.running.delete(mine);
        const n = (this.inflight.get(model) ?? 1) - 1;
        this.inflight.set(model, n);
        if (n === 0) this.drained.get(model)?.();
      }
      if (refused) {
        yield* (await this.helperModel(refused.helper, refused.error)).run(request, signal);
        return;
      }
      // judged after the request is complete, so a move never cuts it short
      if (result && model === this.current && !mine.overlapped) this.observe(result, performance.now() - startedAt);
      return;
    }
  }

  /** The chain entry (after the one in use, on another engine) that may run a request the engine in
   * use refused as unsupported; undefined when the refusal stands. */
  private helperIndex(request: TaskRequest, e: unknown): number | undefined {
    if (!isHearthError(e) || e.code !== "unsupported_task" || !REROUTABLE.has(request.task) || this.o.plan.strict) return undefined;
    const chain = this.o.plan.fallbackChain;
    for (let i = this.index + 1; i < chain.length; i++) if (chain[i].backend !== this.entry.backend) return i;
    return undefined;
  }

  /** The engine for requests the one in use refuses, loaded on first need and kept until dispose
   * (in a runner process where it must not share this one: inProcess.ts). */
  private helperModel(i: number, refusal: HearthError): Promise<LoadedModel> {
    if (this.helper?.index !== i) {
      const c = this.o.plan.fallbackChain[i];
      this.log(
        `hearth: ${this.o.modelName}: ${label(this.entry)} cannot run this request (${refusal.message}); such requests run on ${label(c)}`,
      );
      const model = this.loadEntry(c).then(
        (m) => (this.helperLoaded = m),
        (e: unknown) => {
          this.helper = undefined;
          throw new HearthError(refusal.code, `${refusal.message}; ${label(c)}, which could run it, did not load: ${oneLine(e)}`, {
            hint: refusal.hint,
            cause: e,
          });
        },
      );
      this.helper = { index: i, model };
    }
    return this.helper!.model;
  }

  private observe(result: GenerationResult, wallMs: number) {
    const speed = decodeSpeed(result.usage.completionTokens, result.profile?.ttftMs, wallMs);
    if (speed === undefined) return;
    const v = this.watch.observe(speed);
    if (!v.anomaly) return;
    const reason = `decode ${v.streak.map((s) => s.toFixed(1)).join(", ")} tok/s for ${v.streak.length} requests in a row, under a third of the expected ${v.expected!.toFixed(1)}`;
    if (this.canMove()) void this.move(reason).catch(() => undefined);
    else this.stayNotice(reason);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.switching?.catch(() => undefined);
    await this.current?.dispose();
    const helper = this.helper;
    this.helper = undefined;
    this.helperLoaded = undefined;
    await helper?.model.then(
      (m) => m.dispose(),
      () => undefined,
    );
  }
}
