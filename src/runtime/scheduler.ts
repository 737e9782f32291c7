// The scheduler: keeps loaded models resident for a face that serves many requests (the server),
// and knows nothing of modalities. A model is its files and an id; loading it on first use (one
// load at a time, shared by every request that waits for it), admission per model (Slots), unloading
// after the keep-alive, and a memory budget within which several models stay resident, the least
// recently used idle one going first. Every model is a LoadedModel run through the runtime (with
// its fallback between engines and devices), so a request of any kind is `lease.model.run(task)`.
import os from "node:os";
import type { LoadedModel, LoadedModelInfo } from "../backends/types.ts";
import type { ModelFiles, ModelType } from "../model/types.ts";
import type { TaskName } from "../model/task.ts";
import { HearthError } from "../errors/HearthError.ts";
import { withRetryAfter } from "../errors/retryAfter.ts";
import { estimateLoadedBytes } from "../store/memoryEstimate.ts";
import { loadModel, type RuntimeLoadOptions } from "./load.ts";
import type { ManagedModel } from "./managedModel.ts";
import { Slots } from "./slots.ts";

export interface SchedulerOptions {
  /** seconds a model stays loaded after its last request; 0 = unload at once, < 0 = never (default 300) */
  keepAliveSec?: number;
  /** bytes all resident models may take together (default 75% of RAM) */
  memoryBudgetBytes?: number;
  /** most models resident at once (default: as many as the budget allows) */
  maxLoadedModels?: number;
  /** requests decoded together per model (default 4) */
  parallel?: number;
  /** requests waiting per model beyond the running ones before 429 (default 512, as Ollama: a queued request costs the server a few KiB; npm run soak measures it) */
  queueLimit?: number;
  /** how long a request waits for a load before 503 (default 120 s) */
  loadWaitMs?: number;
  /** engine settings for every load (threads, contextSize, device, backend); models load in runner
   * processes unless `isolate` is false (`hearth serve --in-process`): then where their engine allows */
  load?: Partial<RuntimeLoadOptions>;
  /** told about loads and unloads, for the log */
  log?: (line: string) => void;
  /** the sampling seed of requests that name none (`hearth serve --seed`, as llama-server's): the same
   * request then gets the same answer from the same engine and device (default: a random seed each) */
  seed?: number;
}

/** The model a request asks for: its files, and the id logs, metrics and /health show. */
export interface ModelChoice {
  id: string;
  files: ModelFiles;
}

/** A request's hold on a loaded model: run tasks on `model`, release when the request ends (success,
 * error or abort). */
export interface Lease {
  /** the model's id as the server lists it (metrics and logs use it) */
  id: string;
  files: ModelFiles;
  /** the runtime's model: `model.run({ task: ... }, signal)` streams TaskEvents */
  model: LoadedModel;
  info: LoadedModelInfo;
  /** the server's default seed for requests that name none (SchedulerOptions.seed) */
  seed?: number;
  release(): void;
}

export type ModelState = "loading" | "ready" | "unloading";

/** One model as /health and /metrics show it. */
export interface ModelStatus {
  id: string;
  type: ModelType;
  state: ModelState;
  backend?: string;
  device?: string;
  memoryBytes?: number;
  /** the process the model runs in: its runner's, or the server's own (`hearth serve --in-process`) */
  pid?: number;
  /** whether that process is a runner of the model's own (an engine crash then costs its requests only) */
  runner?: boolean;
  active: number;
  queued: number;
  loadedAt?: string;
  lastUsedAt?: string;
}

interface Entry {
  id: string;
  key: string;
  files: ModelFiles;
  state: ModelState;
  estimateBytes: number;
  slots: Slots;
  loading?: Promise<LoadedModel>;
  model?: LoadedModel & ManagedModel;
  loadedAt?: number;
  lastUsed: number;
  idleTimer?: NodeJS.Timeout;
}

const TASK_WORDS: Partial<Record<TaskName, string>> = {
  chat: "chat completions",
  complete: "text completions",
  embed: "embeddings",
  rerank: "reranking",
  asr: "transcription",
  tts: "speech synthesis",
  diarize: "diarization",
  ocr: "text recognition (OCR)",
  detect: "object detection",
  image: "image generation",
};

export class Scheduler {
  private readonly keepAliveSec: number;
  private readonly budget: number;
  private readonly maxLoaded: number;
  private readonly parallel: number;
  private readonly queueLimit: number;
  private readonly loadWaitMs: number;
  private readonly seed: number | undefined;
  /** loaded or loading models by key (primary file and type) */
  private readonly entries = new Map<string, Entry>();
  private loadChain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: SchedulerOptions = {}) {
    this.keepAliveSec = options.keepAliveSec ?? 300;
    this.budget = options.memoryBudgetBytes ?? Math.floor(os.totalmem() * 0.75);
    this.maxLoaded = options.maxLoadedModels ?? Infinity;
    this.parallel = Math.max(1, options.parallel ?? 4);
    this.queueLimit = Math.max(0, options.queueLimit ?? 512);
    this.loadWaitMs = options.loadWaitMs ?? 120_000;
    this.seed = options.seed;
  }

  /**
   * Gets a model ready for one request: loads it (or joins the load in progress), checks it can do
   * the task and waits for a slot. Throws unsupported_task (400), queue_full (429), busy (429,
   * memory budget in use), loading (503), aborted when `signal` fires first.
   */
  async acquire(choice: ModelChoice, task?: TaskName, signal?: AbortSignal): Promise<Lease> {
    if (this.closed) throw new HearthError("loading", "shutting down: no new requests are taken", { hint: "retry once it is back" });
    const entry = await this.entryFor(choice);
    let release: () => void;
    try {
      release = await entry.slots.acquire(signal);
    } catch (e) {
      // the model was unloaded while this request waited: start over on a fresh entry
      if (entry.state === "unloading" && !this.closed && !signal?.aborted) return this.acquire(choice, task, signal);
      throw e;
    }
    if (entry.state === "unloading") {
      release();
      return this.acquire(choice, task, signal);
    }
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    let model: LoadedModel;
    try {
      model = await this.ready(entry, signal);
    } catch (e) {
      release();
      this.afterRelease(entry);
      throw e;
    }
    if (task && !model.info.tasks.includes(task)) {
      release();
      this.afterRelease(entry);
      throw new HearthError(
        "unsupported_task",
        `model "${choice.id}" cannot do ${TASK_WORDS[task] ?? task} (it does ${model.info.tasks.join(", ")})`,
        {
          hint: "name a model of the right type",
        },
      );
    }
    entry.lastUsed = Date.now();
    return {
      id: entry.id,
      files: entry.files,
      model,
      info: model.info,
      seed: this.seed,
      release: () => {
        release();
        entry.lastUsed = Date.now();
        this.afterRelease(entry);
      },
    };
  }

  status(): ModelStatus[] {
    return [...this.entries.values()].map((e) => ({
      id: e.id,
      type: e.files.type,
      state: e.state,
      backend: e.model?.info.backend,
      device: e.model?.info.device,
      memoryBytes: e.model ? (e.model.info.memoryBytes ?? e.estimateBytes) : undefined,
      pid: e.model ? (e.model.runnerPid ?? process.pid) : undefined,
      runner: e.model ? e.model.runnerPid !== undefined : undefined,
      active: e.slots.active,
      queued: e.slots.queued,
      loadedAt: e.loadedAt ? new Date(e.loadedAt).toISOString() : undefined,
      lastUsedAt: new Date(e.lastUsed).toISOString(),
    }));
  }

  /** Unloads everything (shutdown); later acquires fail with `loading`. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.values()].map((e) => this.unload(e, "closing")));
  }

  private async entryFor(choice: ModelChoice): Promise<Entry> {
    const key = `${choice.files.primary}|${choice.files.type}`;
    const existing = this.entries.get(key);
    if (existing) return existing;
    const entry: Entry = {
      id: choice.id,
      key,
      files: choice.files,
      state: "loading",
      estimateBytes: await estimateLoadedBytes(choice.files, this.options.load?.contextSize),
      slots: new Slots(this.parallel, this.queueLimit),
      lastUsed: Date.now(),
    };
    // another request may have created it while we estimated
    const again = this.entries.get(key);
    if (again) return again;
    this.entries.set(key, entry);
    return entry;
  }

  /** Unloads an idle resident model by id (a model picker's unload); false when none is resident.
   * Refuses with busy (429) while it runs or queues requests. */
  async unloadById(id: string): Promise<boolean> {
    const entry = [...this.entries.values()].find((e) => e.id === id);
    if (!entry) return false;
    if (!entry.slots.idle) {
      throw withRetryAfter(
        new HearthError("busy", `model "${entry.id}" is answering ${entry.slots.active + entry.slots.queued} request(s)`, {
          hint: "stop them or retry when they end",
        }),
        2,
      );
    }
    await this.unload(entry, "asked to unload");
    return true;
  }

  // --- loading and unloading -------------------------------------------------------------------

  private async ready(entry: Entry, signal?: AbortSignal): Promise<LoadedModel> {
    if (entry.model && entry.state === "ready") return entry.model;
    if (!entry.loading) entry.loading = this.load(entry);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(withRetryAfter(new HearthError("loading", `model "${entry.id}" is still loading`, { hint: "retry in a few seconds" }), 5)),
        this.loadWaitMs,
      );
    });
    const aborted = new Promise<never>((_, reject) => {
      signal?.addEventListener("abort", () => reject(new HearthError("aborted", "the client went away while the model loaded")), {
        once: true,
      });
    });
    try {
      return await Promise.race([entry.loading, timeout, aborted]);
    } finally {
      clearTimeout(timer);
    }
  }

  private load(entry: Entry): Promise<LoadedModel> {
    // one load at a time: loads compete for memory and cores, and the budget is judged model by model
    const job = this.loadChain.then(() => this.loadNow(entry));
    this.loadChain = job.then(
      () => undefined,
      () => undefined,
    );
    return job;
  }

  private async loadNow(entry: Entry): Promise<LoadedModel> {
    const t0 = performance.now();
    try {
      await this.makeRoom(entry);
      this.options.log?.(`loading ${entry.id} (${entry.files.type}, ${entry.files.primary})`);
      // isolated: the engine runs in a runner process, so a native crash costs one request, not the
      // server; in process (asked for), only engines that crash processes they share get a runner
      const isolate = this.options.load?.isolate === false ? undefined : true;
      const model = await loadModel(entry.files, { ...this.options.load, parallel: this.parallel, isolate, modelName: entry.id });
      entry.model = model;
      entry.state = "ready";
      entry.loadedAt = Date.now();
      this.options.log?.(`loaded ${entry.id} on ${model.info.backend}/${model.info.device} in ${Math.round(performance.now() - t0)} ms`);
      this.afterRelease(entry);
      return model;
    } catch (e) {
      // forget the failed entry, so the next request tries again
      if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
      entry.slots.failAll(e);
      throw e;
    } finally {
      entry.loading = undefined;
    }
  }

  /** Unloads idle models, least recently used first, until this one fits the budget and the count. */
  private async makeRoom(entry: Entry): Promise<void> {
    for (;;) {
      // loads run one at a time, so every other entry is resident or still waiting its turn
      const others = [...this.entries.values()].filter((e) => e !== entry && e.state === "ready");
      const used = others.reduce((s, e) => s + (e.model?.info.memoryBytes ?? e.estimateBytes), 0);
      if (used + entry.estimateBytes <= this.budget && others.length < this.maxLoaded) return;
      const idle = others.filter((e) => e.state === "ready" && e.slots.idle).sort((a, b) => a.lastUsed - b.lastUsed);
      if (idle.length === 0) {
        if (others.length === 0) return; // alone and still too big: let the runtime try (it knows the device)
        throw withRetryAfter(
          new HearthError("busy", `loading "${entry.id}" would exceed the memory budget and every resident model is in use`, {
            hint: "retry shortly, or raise --memory-budget / --max-models",
          }),
          5,
        );
      }
      await this.unload(idle[0], `making room for ${entry.id}`);
    }
  }

  private afterRelease(entry: Entry) {
    if (!entry.slots.idle || entry.state !== "ready" || this.keepAliveSec < 0 || this.closed) return;
    clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => {
      if (entry.slots.idle && entry.state === "ready") void this.unload(entry, `idle for ${this.keepAliveSec} s`);
    }, this.keepAliveSec * 1000);
    entry.idleTimer.unref();
  }

  private async unload(entry: Entry, why: string): Promise<void> {
    clearTimeout(entry.idleTimer);
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    entry.state = "unloading";
    entry.slots.failAll(new HearthError("loading", `model "${entry.id}" was unloaded`, { hint: "retry" }));
    const model = entry.model ?? (await entry.loading?.catch(() => undefined));
    entry.model = undefined;
    if (!model) return;
    try {
      await model.dispose();
      this.options.log?.(`unloaded ${entry.id} (${why})`);
    } catch (e) {
      this.options.log?.(`unloading ${entry.id} failed: ${e instanceof Error ? e.message : e}`);
    }
  }
}
