// Speaker diarization, who spoke when: `Diarizer.load(ref)` (a folder with a speaker segmentation
// model and a speaker embedding model, or the segmentation model plus `embedding`), then
// `diarizer.diarize(audio, { numSpeakers })` -> time-ordered segments with speaker numbers.
import type { LoadedModel } from "../backends/types.ts";
import type { DiarizeResult } from "../model/tasks/speech.ts";
import { HearthError } from "../errors/HearthError.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { loadReporter } from "./loadProgress.ts";
import { loadModel } from "../runtime/load.ts";
import { engineOptions } from "./engineOptions.ts";
import { readMediaSource, type MediaInputOptions, type MediaSource } from "./mediaInput.ts";
import type { LoadModelOptions, ModelHandleInfo } from "./types.ts";

export type { DiarizeResult };

export interface DiarizerLoadOptions extends LoadModelOptions {
  /** the speaker embedding model (path), when it is not in the segmentation model's folder */
  embedding?: string;
  /** clustering distance threshold when the speaker count is not given (default 0.5; lower = more speakers) */
  threshold?: number;
  /** drop speech turns shorter than this, seconds (default 0.3) */
  minDurationOn?: number;
  /** join turns of one speaker separated by less than this, seconds (default 0.5) */
  minDurationOff?: number;
}

/** Options of `diarizer.diarize()`. */
export interface DiarizeOptions extends MediaInputOptions {
  /** how many speakers there are, when known; default: found by clustering */
  numSpeakers?: number;
  signal?: AbortSignal;
}

/** Speaker diarization (sherpa-onnx): `Diarizer.load(ref)`, then `diarize(audio)` says who spoke when. */
export class Diarizer {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a segmentation model and a speaker-embedding model (a folder holding both, or a store name). */
  static async load(ref: string, options: DiarizerLoadOptions = {}): Promise<Diarizer> {
    const progress = loadReporter(ref, options);
    const files = await resolveModel(ref, {
      type: "diarize",
      pull: options.pull,
      ...progress.resolve,
      side: options.embedding ? { embedding: options.embedding } : undefined,
    });
    const extra: Record<string, unknown> = {};
    if (options.threshold !== undefined) extra.threshold = options.threshold;
    if (options.minDurationOn !== undefined) extra.minDurationOn = options.minDurationOn;
    if (options.minDurationOff !== undefined) extra.minDurationOff = options.minDurationOff;
    const model = await progress.load(() =>
      loadModel(files, {
        ...engineOptions(options),
        extra,
      }),
    );
    return new Diarizer(model, { ...model.info, ref });
  }

  /** Who spoke when in a recording: a path, bytes or data URI of WAV, MP3, FLAC or OGG. */
  async diarize(audio: MediaSource, options: DiarizeOptions = {}): Promise<DiarizeResult> {
    const { data } = await readMediaSource(audio, options);
    let result: DiarizeResult | undefined;
    for await (const e of this.model.run({ task: "diarize", audio: data, numSpeakers: options.numSpeakers }, options.signal)) {
      if (e.type === "result") result = e.result as DiarizeResult;
    }
    if (!result) throw new HearthError("internal", "the engine ended without a result");
    return result;
  }

  /** Frees the models. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using diarizer = await Diarizer.load(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
