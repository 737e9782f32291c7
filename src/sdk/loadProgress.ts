// `onProgress` and `signal` of every `X.load(ref, options)`: the store's pull events become download
// progress with a speed, then "loading" and "loaded". A callback that throws is reported once as a
// process warning and otherwise ignored, so it can never break (or corrupt) a download; an abort
// cancels the pull (its partial files stay for the next load) or, after it, the load.
import type { LoadedModel } from "../backends/types.ts";
import type { PullEvent } from "../store/pull.ts";
import { HearthError } from "../errors/HearthError.ts";
import type { LoadProgress } from "./types.ts";

/** Over how long the download speed is averaged. */
const SPEED_WINDOW_MS = 3000;

export interface LoadProgressOptions {
  onProgress?: (event: LoadProgress) => void;
  signal?: AbortSignal;
}

export interface LoadReporter {
  /** what the store's resolver takes (`resolveModel(ref, { ...reporter.resolve })`) */
  resolve: { onProgress: (e: PullEvent) => void; signal?: AbortSignal };
  /** runs the engine's load between "loading" and "loaded"; an abort that came meanwhile disposes the model */
  load<T extends LoadedModel>(load: () => Promise<T>): Promise<T>;
}

/** The user's callback, made safe: what it throws is a warning (once), never the download's failure. */
export function safeProgress(onProgress: ((e: LoadProgress) => void) | undefined): (e: LoadProgress) => void {
  let warned = false;
  return (e) => {
    try {
      onProgress?.(e);
    } catch (err) {
      if (!warned)
        process.emitWarning(`an onProgress callback threw (ignored): ${err instanceof Error ? err.message : err}`, "HearthWarning");
      warned = true;
    }
  };
}

/** The store's pull events as LoadProgress: byte progress gains a speed, the rest passes as "pull". */
export function pullProgress(emit: (e: LoadProgress) => void): (e: PullEvent) => void {
  const samples: { t: number; bytes: number }[] = [];
  return (e) => {
    if (e.type !== "progress") return emit({ type: "pull", event: e });
    const t = performance.now();
    samples.push({ t, bytes: e.doneBytes });
    while (samples.length > 2 && t - samples[0].t > SPEED_WINDOW_MS) samples.shift();
    const first = samples[0];
    const seconds = (t - first.t) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.max(0, (e.doneBytes - first.bytes) / seconds) : 0;
    emit({ type: "download", file: e.file, doneBytes: e.doneBytes, totalBytes: e.totalBytes, bytesPerSecond });
  };
}

export function loadReporter(ref: string, options: LoadProgressOptions): LoadReporter {
  const { signal } = options;
  const emit = safeProgress(options.onProgress);
  return {
    resolve: { onProgress: pullProgress(emit), signal },
    async load(load) {
      throwIfAborted(signal);
      emit({ type: "loading", ref });
      const started = performance.now();
      const model = await load();
      if (signal?.aborted) {
        await model.dispose();
        throwIfAborted(signal);
      }
      emit({ type: "loaded", ref, engine: model.info.backend, device: model.info.device, ms: Math.round(performance.now() - started) });
      return model;
    },
  };
}

function throwIfAborted(signal: AbortSignal | undefined) {
  if (signal?.aborted)
    throw new HearthError("aborted", "the model load was cancelled", { hint: "load it again; a download resumes where it stopped" });
}
