// The server's model manager: which name means which model, loading on first use (one load shared by
// every request that waits for it), admission per model (Slots), unloading after the keep-alive, and
// a memory budget within which several models stay resident, the least recently used idle one going
// first. Engines run isolated in runner processes (the server always asks the runtime for that).
import { existsSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LoadedModel, LoadedModelInfo } from "../backends/types.ts";
import type { ModelFiles, ModelType } from "../model/types.ts";
import type { TaskName } from "../model/task.ts";
import { HearthError, isHearthError } from "../errors/HearthError.ts";
import { resolveModel, looksLikePath, type ResolveOptions } from "../store/resolve.ts";
import { loadModel, type RuntimeLoadOptions } from "../runtime/load.ts";
import { readGgufFacts, estimateMemoryBytes } from "../formats/ggufFacts.ts";
import { ASR } from "../sdk/ASR.ts";
import { TTS } from "../sdk/TTS.ts";
import { Diarizer } from "../sdk/Diarizer.ts";
import { detectSpeechModelType, ttsModelFiles, diarizeModelFiles } from "../backends/sherpa/modelFiles.ts";
import { Slots } from "./slots.ts";
import { withRetryAfter } from "./errors.ts";

export interface ModelManagerOptions {
  /** seconds a model stays loaded after its last request; 0 = unload at once, < 0 = never (default 300) */
  keepAliveSec?: number;
  /** bytes all resident models may take together (default 75% of RAM) */
  memoryBudgetBytes?: number;
  /** most models resident at once (default: as many as the budget allows) */
  maxLoadedModels?: number;
  /** requests decoded together per model (default 4) */
  parallel?: number;
  /** requests waiting per model beyond the running ones before 429 (default 32) */
  queueLimit?: number;
  /** pull unknown store names from the hub on a request (default false: unknown model -> 404) */
  allowPull?: boolean;
  /** how long a request waits for a load before 503 (default 120 s) */
  loadWaitMs?: number;
  /** engine settings for every load (threads, contextSize, device, backend) */
  load?: Partial<RuntimeLoadOptions>;
  /** told about loads and unloads, for the log */
  log?: (line: string) => void;
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
  active: number;
  queued: number;
  loadedAt?: string;
  lastUsedAt?: string;
}

/** A request's hold on a loaded model: release it when the request ends (success, error or abort). */
export interface Lease {
  /** the model's id as the server lists it (metrics and logs use it) */
  id: string;
  files: ModelFiles;
  /** the engine's model (text, embeddings, rerank) */
  model?: LoadedModel;
  /** the ASR SDK object (speech models) */
  asr?: ASR;
  /** the TTS and Diarizer SDK objects (sherpa-onnx speech models) */
  tts?: TTS;
  diarizer?: Diarizer;
  info: LoadedModelInfo;
  release(): void;
}

interface Resident {
  model?: LoadedModel;
  asr?: ASR;
  tts?: TTS;
  diarizer?: Diarizer;
  info: LoadedModelInfo;
  dispose(): Promise<void>;
}

interface Entry {
  id: string;
  key: string;
  ref: string;
  files: ModelFiles;
  state: ModelState;
  estimateBytes: number;
  slots: Slots;
  loading?: Promise<Resident>;
  resident?: Resident;
  loadedAt?: number;
  lastUsed: number;
  idleTimer?: NodeJS.Timeout;
}

const TASK_WORDS: Partial<Record<TaskName, string>> = {
  chat: "chat completions", complete: "text completions", embed: "embeddings", rerank: "reranking", asr: "transcription", tts: "speech synthesis", diarize: "diarization",
};

export class ModelManager {
  private readonly keepAliveSec: number;
  private readonly budget: number;
  private readonly maxLoaded: number;
  private readonly parallel: number;
  private readonly queueLimit: number;
  private readonly loadWaitMs: number;
  /** loaded or loading models by key (primary file) */
  private readonly entries = new Map<string, Entry>();
  /** names the server was started with (and their short aliases) -> the ref as typed */
  private readonly configured = new Map<string, { id: string; ref: string; files: ModelFiles }>();
  private readonly preloads: string[] = [];
  private readonly preloadFailures = new Map<string, string>();
  private pendingPreloads = 0;
  private loadChain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ModelManagerOptions = {}) {
    this.keepAliveSec = options.keepAliveSec ?? 300;
    this.budget = options.memoryBudgetBytes ?? Math.floor(os.totalmem() * 0.75);
    this.maxLoaded = options.maxLoadedModels ?? Infinity;
    this.parallel = Math.max(1, options.parallel ?? 4);
    this.queueLimit = Math.max(0, options.queueLimit ?? 32);
    this.loadWaitMs = options.loadWaitMs ?? 120_000;
  }

  /**
   * Adds a model named on the command line: resolved now (a bad name fails the start), loaded by
   * preload(). Clients may then use the ref as typed, or for a path its file name without extension.
   */
  async register(ref: string, options: { mmproj?: string } = {}): Promise<string> {
    let files = await this.resolveFiles(ref, undefined, true);
    if (options.mmproj) {
      // a text model plus a projector is a vision/audio-language model, run by the multimodal engine
      const mmproj = path.resolve(options.mmproj.replace(/^~(?=\/|$)/, os.homedir()));
      if (!existsSync(mmproj)) throw new HearthError("model_not_found", `no mmproj file at ${mmproj}`, { hint: "check the --mmproj path" });
      files = { ...files, mmproj, type: "vlm" };
    }
    const names = [ref];
    if (looksLikePath(ref)) names.push(files.type === "tts" || files.type === "diarize" ? path.basename(files.dir) : path.basename(files.primary).replace(/\.(gguf|onnx|bin)$/i, ""));
    // the short name is the id clients see; the ref as typed works too
    const id = names[names.length - 1];
    const taken = this.configured.get(id);
    if (taken) throw new HearthError("bad_input", `two models would be served as "${id}" (${taken.ref} and ${ref})`, { hint: "serve each model once, or rename one of the files" });
    for (const n of names) this.configured.set(n, { id, ref, files });
    this.preloads.push(ref);
    return names[names.length - 1];
  }

  /** Loads every registered model in the background; /health says "loading" until they are in. */
  async preload(): Promise<void> {
    this.pendingPreloads = this.preloads.length;
    for (const ref of this.preloads) {
      try {
        const lease = await this.acquire(ref);
        lease.release();
      } catch (e) {
        const msg = isHearthError(e) ? e.line : e instanceof Error ? e.message : String(e);
        this.preloadFailures.set(ref, msg);
        this.options.log?.(`failed to load ${ref}: ${msg}`);
      } finally {
        this.pendingPreloads--;
      }
    }
  }

  /** The names the server was started with. */
  configuredNames(): { id: string; files: ModelFiles }[] {
    return [...new Map([...this.configured.values()].map((c) => [c.id, { id: c.id, files: c.files }])).values()];
  }

  /**
   * Gets a model ready for one request: resolves the name, loads it (or joins the load in progress),
   * checks it can do the task and waits for a slot. Throws model_not_found (404), unsupported_task
   * (400), queue_full (429), loading (503).
   */
  async acquire(name: string, task?: TaskName, signal?: AbortSignal): Promise<Lease> {
    if (this.closed) throw new HearthError("loading", "the server is shutting down");
    const entry = await this.entryFor(name, task);
    let release: () => void;
    try {
      release = await entry.slots.acquire(signal);
    } catch (e) {
      // the model was unloaded while this request waited: start over on a fresh entry
      if (entry.state === "unloading" && !this.closed && !signal?.aborted) return this.acquire(name, task, signal);
      throw e;
    }
    if (entry.state === "unloading") {
      release();
      return this.acquire(name, task, signal);
    }
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    let resident: Resident;
    try {
      resident = await this.ready(entry, signal);
    } catch (e) {
      release();
      this.afterRelease(entry);
      throw e;
    }
    if (task && !resident.info.tasks.includes(task)) {
      release();
      this.afterRelease(entry);
      throw new HearthError("unsupported_task", `model "${name}" cannot do ${TASK_WORDS[task] ?? task} (it does ${resident.info.tasks.join(", ")})`, {
        hint: "name a model of the right type",
      });
    }
    entry.lastUsed = Date.now();
    return {
      id: entry.id,
      files: entry.files,
      model: resident.model,
      asr: resident.asr,
      tts: resident.tts,
      diarizer: resident.diarizer,
      info: resident.info,
      release: () => {
        release();
        entry.lastUsed = Date.now();
        this.afterRelease(entry);
      },
    };
  }

  /** The ASR object for a speech model, with each transcription admitted like any request. */
  async asr(name: string): Promise<ASR> {
    const lease = await this.acquire(name, "asr");
    const asr = lease.asr;
    lease.release();
    if (!asr) throw new HearthError("unsupported_task", `model "${name}" is not a speech recognition model`, { hint: "name an ASR model" });
    const wrapped = Object.create(asr) as ASR;
    wrapped.transcribe = async (audio, options = {}) => {
      const l = await this.acquire(name, "asr", options.signal);
      try {
        return await l.asr!.transcribe(audio, options);
      } finally {
        l.release();
      }
    };
    return wrapped;
  }

  /** The TTS object for a speech synthesis model, with each request admitted like any other. */
  async tts(name: string): Promise<TTS> {
    const lease = await this.acquire(name, "tts");
    const tts = lease.tts;
    lease.release();
    if (!tts) throw new HearthError("unsupported_task", `model "${name}" is not a speech synthesis model`, { hint: "name a TTS model" });
    const wrapped = Object.create(tts) as TTS;
    wrapped.speak = async (text, options = {}) => {
      const l = await this.acquire(name, "tts", options.signal);
      try {
        return await l.tts!.speak(text, options);
      } finally {
        l.release();
      }
    };
    // stream() speaks through speak(), so the wrapped speak admits it too
    return wrapped;
  }

  /** The Diarizer object for a diarization model, with each request admitted like any other. */
  async diarizer(name: string): Promise<Diarizer> {
    const lease = await this.acquire(name, "diarize");
    const diarizer = lease.diarizer;
    lease.release();
    if (!diarizer) throw new HearthError("unsupported_task", `model "${name}" is not a diarization model`, { hint: "name a diarization model" });
    const wrapped = Object.create(diarizer) as Diarizer;
    wrapped.diarize = async (audio, options = {}) => {
      const l = await this.acquire(name, "diarize", options.signal);
      try {
        return await l.diarizer!.diarize(audio, options);
      } finally {
        l.release();
      }
    };
    return wrapped;
  }

  /** ready while nothing is loading; loading while a preload runs; unhealthy when a preload failed. */
  health(): "ready" | "loading" | "unhealthy" {
    if (this.pendingPreloads > 0) return "loading";
    if (this.preloadFailures.size > 0) return "unhealthy";
    return "ready";
  }

  preloadErrors(): Record<string, string> {
    return Object.fromEntries(this.preloadFailures);
  }

  status(): ModelStatus[] {
    return [...this.entries.values()].map((e) => ({
      id: e.id,
      type: e.files.type,
      state: e.state,
      backend: e.resident?.info.backend,
      device: e.resident?.info.device,
      memoryBytes: e.resident ? (e.resident.info.memoryBytes ?? e.estimateBytes) : undefined,
      active: e.slots.active,
      queued: e.slots.queued,
      loadedAt: e.loadedAt ? new Date(e.loadedAt).toISOString() : undefined,
      lastUsedAt: new Date(e.lastUsed).toISOString(),
    }));
  }

  /** Unloads everything (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.values()].map((e) => this.unload(e, "server closing")));
  }

  // --- names and files -------------------------------------------------------------------------

  private async entryFor(name: string, task?: TaskName): Promise<Entry> {
    const configured = this.configured.get(name);
    if (!configured && looksLikePath(name)) {
      // a server never opens files on its disk because a client named them
      throw new HearthError("model_not_found", `model "${name}" is not served here`, {
        hint: "name a model from GET /v1/models; files are served only when given to `hearth serve`",
      });
    }
    const files = configured?.files ?? (await this.resolveFiles(name, typeForTask(task), false));
    const key = `${files.primary}|${files.type}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        id: configured?.id ?? name,
        key,
        ref: configured?.ref ?? name,
        files,
        state: "loading",
        estimateBytes: await estimateBytes(files, this.options.load?.contextSize),
        slots: new Slots(this.parallel, this.queueLimit),
        lastUsed: Date.now(),
      };
      // another request may have created it while we estimated
      const again = this.entries.get(key);
      if (again) return again;
      this.entries.set(key, entry);
    }
    return entry;
  }

  private async resolveFiles(ref: string, type: ModelType | undefined, fromOperator: boolean): Promise<ModelFiles> {
    // sherpa-onnx speech models are folders (model.onnx, tokens.txt...); the operator may serve one by path
    const speech = fromOperator ? detectSpeechModelType(ref) : undefined;
    if (speech === "tts") return ttsModelFiles(ref);
    if (speech === "diarize") return diarizeModelFiles(ref);
    if (/\.bin$/i.test(ref) && fromOperator) {
      // whisper.cpp ggml files are neither GGUF nor ONNX; the operator may serve one by path
      const file = path.resolve(ref.replace(/^~(?=\/|$)/, os.homedir()));
      if (!existsSync(file)) throw new HearthError("model_not_found", `no model file at ${file}`, { hint: "check the path" });
      return { dir: path.dirname(file), primary: file, format: "ggml", type: "asr" };
    }
    let guessed = type;
    if (!guessed && fromOperator && looksLikePath(ref) && /\.gguf$/i.test(ref)) {
      const file = path.resolve(ref.replace(/^~(?=\/|$)/, os.homedir()));
      if (existsSync(file)) guessed = (await readGgufFacts(file)).typeGuess;
    }
    const opts: ResolveOptions = { type: guessed, pull: fromOperator ? true : (this.options.allowPull ?? false) };
    try {
      return await resolveModel(ref, opts);
    } catch (e) {
      if (isHearthError(e) && e.code === "model_not_found" && !fromOperator) {
        throw new HearthError("model_not_found", `model "${ref}" is not served here`, {
          hint: this.options.allowPull ? e.hint : "name a model from GET /v1/models, or pull it first (hearth pull), or start the server with --allow-pull",
        });
      }
      throw e;
    }
  }

  // --- loading and unloading -------------------------------------------------------------------

  private async ready(entry: Entry, signal?: AbortSignal): Promise<Resident> {
    if (entry.resident && entry.state === "ready") return entry.resident;
    if (!entry.loading) entry.loading = this.load(entry);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(withRetryAfter(new HearthError("loading", `model "${entry.id}" is still loading`, { hint: "retry in a few seconds" }), 5)),
        this.loadWaitMs,
      );
    });
    const aborted = new Promise<never>((_, reject) => {
      signal?.addEventListener("abort", () => reject(new HearthError("aborted", "the client went away while the model loaded")), { once: true });
    });
    try {
      return await Promise.race([entry.loading, timeout, aborted]);
    } finally {
      clearTimeout(timer);
    }
  }

  private load(entry: Entry): Promise<Resident> {
    // one load at a time: loads compete for memory and cores, and the budget is judged model by model
    const job = this.loadChain.then(() => this.loadNow(entry));
    this.loadChain = job.then(() => undefined, () => undefined);
    return job;
  }

  private async loadNow(entry: Entry): Promise<Resident> {
    const t0 = performance.now();
    try {
      await this.makeRoom(entry);
      this.options.log?.(`loading ${entry.id} (${entry.files.type}, ${entry.files.primary})`);
      const resident = await this.open(entry);
      entry.resident = resident;
      entry.state = "ready";
      entry.loadedAt = Date.now();
      this.options.log?.(`loaded ${entry.id} on ${resident.info.backend}/${resident.info.device} in ${Math.round(performance.now() - t0)} ms`);
      this.afterRelease(entry);
      return resident;
    } catch (e) {
      // forget the failed entry, so the next request tries again
      if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
      entry.slots.failAll(e);
      throw e;
    } finally {
      entry.loading = undefined;
    }
  }

  private async open(entry: Entry): Promise<Resident> {
    const load = this.options.load ?? {};
    if (entry.files.type === "asr") {
      // isolated like the other engines: a crash of the native engine costs one request, not the server
      const asr = await ASR.load(entry.files.primary, { threads: load.threads, backend: load.backend, device: load.device, isolate: true });
      return { asr, info: asr.info, dispose: () => asr.dispose() };
    }
    if (entry.files.type === "tts") {
      // isolated like the other engines: a crash of the native engine costs one request, not the server
      const tts = await TTS.load(entry.files.primary, { threads: load.threads, backend: load.backend, device: load.device, isolate: true });
      return { tts, info: tts.info, dispose: () => tts.dispose() };
    }
    if (entry.files.type === "diarize") {
      const diarizer = await Diarizer.load(entry.files.primary, {
        embedding: entry.files.extra?.embedding, threads: load.threads, backend: load.backend, device: load.device, isolate: true,
      });
      return { diarizer, info: diarizer.info, dispose: () => diarizer.dispose() };
    }
    // isolate: the engine runs in a runner process, so a crash costs one request, not the server
    const options: RuntimeLoadOptions = { ...load, parallel: this.parallel, isolate: true, modelName: entry.id };
    const model = await loadModel(entry.files, options);
    return { model, info: model.info, dispose: () => model.dispose() };
  }

  /** Unloads idle models, least recently used first, until this one fits the budget and the count. */
  private async makeRoom(entry: Entry): Promise<void> {
    for (;;) {
      // loads run one at a time, so every other entry is resident or still waiting its turn
      const others = [...this.entries.values()].filter((e) => e !== entry && e.state === "ready");
      const used = others.reduce((s, e) => s + (e.resident?.info.memoryBytes ?? e.estimateBytes), 0);
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
    const resident = entry.resident ?? (await entry.loading?.catch(() => undefined));
    entry.resident = undefined;
    if (!resident) return;
    try {
      await resident.dispose();
      this.options.log?.(`unloaded ${entry.id} (${why})`);
    } catch (e) {
      this.options.log?.(`unloading ${entry.id} failed: ${e instanceof Error ? e.message : e}`);
    }
  }

  // --- the web app's model picker (/hearth/models): load, unload, list ---------------------------

  /** Loads a model now, as its first request would, and leaves it resident for the keep-alive. */
  async loadByName(name: string): Promise<ModelStatus> {
    const lease = await this.acquire(name);
    lease.release();
    const status = this.status().find((s) => s.id === lease.id);
    if (!status) throw new HearthError("loading", `model "${name}" was unloaded as soon as it loaded`, { hint: "raise --keep-alive" });
    return status;
  }

  /** Unloads a resident model by the name a client uses; false when it is not loaded. Refuses while it runs requests. */
  async unloadByName(name: string): Promise<boolean> {
    const id = this.configured.get(name)?.id ?? name;
    const entry = [...this.entries.values()].find((e) => e.id === id || e.ref === name);
    if (!entry) return false;
    if (!entry.slots.idle) {
      throw withRetryAfter(new HearthError("busy", `model "${entry.id}" is answering ${entry.slots.active + entry.slots.queued} request(s)`, { hint: "stop them or retry when they end" }), 2);
    }
    await this.unload(entry, "asked to unload");
    return true;
  }

  /** The files a served name stands for (the operator's models, mmproj included), if it is one. */
  configuredFiles(name: string): { id: string; files: ModelFiles } | undefined {
    const c = this.configured.get(name);
    return c ? { id: c.id, files: c.files } : undefined;
  }
}

function typeForTask(task?: TaskName): ModelType | undefined {
  if (task === "embed") return "embedder";
  if (task === "rerank") return "reranker";
  if (task === "asr") return "asr";
  if (task === "tts") return "tts";
  if (task === "diarize") return "diarize";
  return undefined;
}

/** Bytes a model will take before it is loaded: weights plus a KV cache guess (GGUF), else file sizes. */
async function estimateBytes(files: ModelFiles, contextSize?: number): Promise<number> {
  const paths = [files.primary, ...(files.shards ?? []), ...(files.mmproj ? [files.mmproj] : [])];
  const weights = paths.reduce((s, p) => s + (existsSync(p) ? statSync(p).size : 0), 0);
  if (files.format === "gguf") {
    try {
      const facts = await readGgufFacts(files.primary);
      return estimateMemoryBytes(facts, weights, Math.min(contextSize ?? 4096, facts.contextLength ?? 4096)) ?? weights;
    } catch {
      return weights;
    }
  }
  return weights;
}
