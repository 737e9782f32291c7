// The models a server serves, by name: the models it was started with (resolved at start, loaded in
// the background, with short names for paths), the store's models a client may name, and the rule
// that a client never makes the server open a file by naming its path. Requests go through
// acquire(name, task, signal), which hands the model to the runtime's scheduler (runtime/scheduler.ts:
// loading, admission, keep-alive, memory budget); the Lease it returns has one `model` to run tasks on.
import path from "node:path";
import type { ModelFiles, ModelType } from "../model/types.ts";
import type { TaskName } from "../model/task.ts";
import { HearthError, isHearthError } from "../errors/HearthError.ts";
import { resolveModel, looksLikePath } from "../resolve/resolveModel.ts";
import { Scheduler, type Lease, type ModelStatus, type SchedulerOptions } from "../runtime/scheduler.ts";

export type { Lease, ModelStatus, ModelState } from "../runtime/scheduler.ts";

export interface ModelManagerOptions extends SchedulerOptions {
  /** pull unknown store names from the hub on a request (default false: unknown model -> 404) */
  allowPull?: boolean;
}

export class ModelManager {
  private readonly scheduler: Scheduler;
  /** names the server was started with (and their short aliases) -> the ref as typed */
  private readonly configured = new Map<string, { id: string; ref: string; files: ModelFiles }>();
  private readonly preloads: string[] = [];
  private readonly preloadFailures = new Map<string, string>();
  private pendingPreloads = 0;

  constructor(private readonly options: ModelManagerOptions = {}) {
    this.scheduler = new Scheduler(options);
  }

  /**
   * Adds a model named on the command line: resolved now (a bad name fails the start), loaded by
   * preload(). Clients may then use the ref as typed, or for a path its file name without extension.
   */
  async register(ref: string, options: { mmproj?: string } = {}): Promise<string> {
    // a text model plus a projector is a vision/audio-language model, run by the multimodal engine
    const files = await this.resolveFiles(ref, undefined, true, options.mmproj);
    const names = [ref];
    if (looksLikePath(ref))
      names.push(
        files.type === "tts" || files.type === "diarize" || files.type === "image_gen"
          ? path.basename(files.dir)
          : path.basename(files.primary).replace(/\.(gguf|onnx|bin)$/i, ""),
      );
    // the short name is the id clients see; the ref as typed works too
    const id = names[names.length - 1];
    const taken = this.configured.get(id);
    if (taken)
      throw new HearthError("bad_input", `two models would be served as "${id}" (${taken.ref} and ${ref})`, {
        hint: "serve each model once, or rename one of the files",
      });
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
   * Gets a model ready for one request: resolves the name, then the scheduler loads it (or joins the
   * load in progress), checks it can do the task and waits for a slot. Run the task on `lease.model`
   * and call `lease.release()` when the request ends. Throws model_not_found (404), unsupported_task
   * (400), queue_full (429), loading (503).
   */
  async acquire(name: string, task?: TaskName, signal?: AbortSignal): Promise<Lease> {
    const configured = this.configured.get(name);
    if (!configured && looksLikePath(name)) {
      // a server never opens files on its disk because a client named them
      throw new HearthError("model_not_found", `model "${name}" is not served here`, {
        hint: "name a model from GET /v1/models; files are served only when given to `hearth serve`",
      });
    }
    const files = configured?.files ?? (await this.resolveFiles(name, typeForTask(task), false));
    return this.scheduler.acquire({ id: configured?.id ?? name, files }, task, signal);
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
    return this.scheduler.status();
  }

  /** Unloads everything (server shutdown). */
  async close(): Promise<void> {
    await this.scheduler.close();
  }

  // --- names and files -------------------------------------------------------------------------

  private async resolveFiles(ref: string, type: ModelType | undefined, fromOperator: boolean, mmproj?: string): Promise<ModelFiles> {
    try {
      return await resolveModel(ref, { type, mmproj, pull: fromOperator ? true : (this.options.allowPull ?? false) });
    } catch (e) {
      if (isHearthError(e) && e.code === "model_not_found" && !fromOperator) {
        throw new HearthError("model_not_found", `model "${ref}" is not served here`, {
          hint: this.options.allowPull
            ? e.hint
            : "name a model from GET /v1/models, or pull it first (hearth pull), or start the server with --allow-pull",
        });
      }
      throw e;
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
  unloadByName(name: string): Promise<boolean> {
    return this.scheduler.unloadById(this.configured.get(name)?.id ?? name);
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
  if (task === "image") return "image_gen";
  return undefined;
}
