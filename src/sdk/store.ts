// The model store from the SDK: `store.pull(ref, { onProgress, signal })`, `store.list()`,
// `store.remove(ref)`, the same store `hearth pull | list | rm` use (HEARTH_HOME), with the
// progress events `X.load()` reports.
import { listModels, type InstalledModel } from "../store/list.ts";
import { pullModel, type PullResult } from "../store/pull.ts";
import { removeModel, type RemoveResult } from "../store/remove.ts";
import { pullProgress, safeProgress } from "./loadProgress.ts";
import type { LoadProgress } from "./types.ts";

export type { InstalledModel, PullResult, RemoveResult };

/** Options of `store.pull()`. */
export interface StorePullOptions {
  /** download progress (bytes, total, file, speed) and the pull's other events; what it throws is ignored */
  onProgress?: (event: LoadProgress) => void;
  /** cancels the download; its partial files stay, so the next pull resumes */
  signal?: AbortSignal;
  /** pull even when the model looks too large for this machine's memory */
  force?: boolean;
  /** the store's folder (default HEARTH_HOME, else ~/.cache/hearth) */
  home?: string;
}

/** The local model store. */
export const store = {
  /** Downloads `org/repo[:QUANT]` (or an alias) into the store, resumably and verified; a model already complete is not fetched again. */
  pull(ref: string, options: StorePullOptions = {}): Promise<PullResult> {
    const emit = safeProgress(options.onProgress);
    return pullModel(ref, { home: options.home, force: options.force, signal: options.signal, onEvent: pullProgress(emit) });
  },
  /** The installed models (and the embedded ones), with their quants and sizes on disk. */
  list(options: { home?: string } = {}): InstalledModel[] {
    return listModels(options.home);
  },
  /** Removes a model (`org/repo`) or one of its quants (`org/repo:QUANT`) from the store. */
  remove(ref: string, options: { home?: string } = {}): Promise<RemoveResult> {
    return removeModel(ref, options);
  },
};
