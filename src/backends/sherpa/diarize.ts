// Speaker diarization with sherpa-onnx: a pyannote segmentation model finds who is active in each
// frame of overlapping windows, a speaker embedding model describes each local speaker, and
// clustering joins them into global speakers (a given count, or by a distance threshold).
import type { LoadedModel, LoadedModelInfo } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import type { DiarizeRequest, DiarizeResult } from "../../model/tasks/speech.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { decodeAudio } from "../../media/audio.ts";
import { readOnnxMetadata } from "../../formats/onnxMetadata.ts";
import { SerialJobs, type Emit } from "../../streams/serialJobs.ts";
import type { DiarizationSegment, OfflineSpeakerDiarization, SherpaModule, loadSherpa } from "./sherpaApi.ts";
import { createOrExplain, sherpaInfo } from "./loaded.ts";

export interface DiarizeSettings {
  /** clustering distance threshold when the speaker count is not given (sherpa-onnx's default 0.5) */
  threshold: number;
  /** drop speech turns shorter than this, seconds */
  minDurationOn: number;
  /** join turns of one speaker separated by less than this, seconds */
  minDurationOff: number;
}

const DEFAULTS: DiarizeSettings = { threshold: 0.5, minDurationOn: 0.3, minDurationOff: 0.5 };

type Addon = Awaited<ReturnType<typeof loadSherpa>>["addon"];

function needMetadata(file: string, keys: string[], what: string) {
  // sherpa-onnx exits the process when a metadata key is missing: check first
  const m = readOnnxMetadata(file);
  const missing = keys.filter((k) => m[k] === undefined);
  if (missing.length) {
    throw new HearthError(
      "unsupported_architecture",
      `${file} is not a ${what} for sherpa-onnx (no ${missing.join(", ")} in its metadata)`,
      {
        hint: `give a ${what} exported for sherpa-onnx`,
      },
    );
  }
  return m;
}

export async function loadDiarizer(
  sherpa: SherpaModule,
  addon: Addon,
  files: ModelFiles,
  threads: number,
  extra: Record<string, unknown> | undefined,
  t0: number,
): Promise<LoadedModel> {
  const embedding = files.extra?.embedding;
  if (!embedding) throw new HearthError("bad_input", "a diarization model needs a speaker embedding model too", { hint: "give its path" });
  needMetadata(
    files.primary,
    ["sample_rate", "window_size", "receptive_field_size", "receptive_field_shift", "num_speakers", "powerset_max_classes", "num_classes"],
    "speaker segmentation model",
  );
  const em = needMetadata(embedding, ["framework"], "speaker embedding model");
  // the keys each family's loader reads (a missing one makes sherpa-onnx exit)
  if (em.framework === "nemo") {
    needMetadata(
      embedding,
      ["output_dim", "feat_dim", "sample_rate", "window_size_ms", "window_stride_ms", "language"],
      "NeMo speaker embedding model",
    );
  } else if (em.framework === "wespeaker" || em.framework === "3d-speaker") {
    needMetadata(embedding, ["output_dim", "sample_rate", "normalize_samples", "language"], "speaker embedding model");
  } else {
    throw new HearthError(
      "unsupported_architecture",
      `${embedding} is a ${em.framework} speaker embedding model, which sherpa-onnx does not run`,
      {
        hint: "give a WeSpeaker, 3D-Speaker or NeMo model exported for sherpa-onnx",
      },
    );
  }
  const settings: DiarizeSettings = {
    threshold: typeof extra?.threshold === "number" ? extra.threshold : DEFAULTS.threshold,
    minDurationOn: typeof extra?.minDurationOn === "number" ? extra.minDurationOn : DEFAULTS.minDurationOn,
    minDurationOff: typeof extra?.minDurationOff === "number" ? extra.minDurationOff : DEFAULTS.minDurationOff,
  };
  const sd = await createOrExplain(
    files.primary,
    "check the segmentation and embedding models",
    () =>
      new sherpa.OfflineSpeakerDiarization({
        segmentation: { pyannote: { model: files.primary }, numThreads: threads, provider: "cpu", debug: 0 },
        embedding: { model: embedding, numThreads: threads, provider: "cpu", debug: 0 },
        clustering: { numClusters: -1, threshold: settings.threshold },
        minDurationOn: settings.minDurationOn,
        minDurationOff: settings.minDurationOff,
      }),
  );
  const info = sherpaInfo("diarize", t0, { threads, sampleRate: sd.sampleRate, embedding, embeddingFramework: em.framework, ...settings });
  return new SherpaDiarizer(sd, addon, info, settings);
}

class SherpaDiarizer implements LoadedModel {
  private jobs = new SerialJobs();

  constructor(
    private sd: OfflineSpeakerDiarization,
    private addon: Addon,
    readonly info: LoadedModelInfo,
    private settings: DiarizeSettings,
  ) {}

  async *run(request: TaskRequest, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    if (request.task !== "diarize") {
      throw new HearthError("unsupported_task", `a diarization model cannot run task "${request.task}"`, { hint: "it runs diarize" });
    }
    const n = request.numSpeakers;
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 100)) {
      throw new HearthError("bad_input", `numSpeakers ${n} is not a whole number from 1 to 100`, {
        hint: "leave it out to let the threshold decide",
      });
    }
    // decode first: bad audio fails without waiting for other requests
    const audio = await decodeAudio(request.audio, { sampleRate: this.sd.sampleRate });
    yield* this.jobs.run((emit) => this.diarize(request, audio.samples, audio.durationMs, emit, signal));
  }

  private async diarize(req: DiarizeRequest, samples: Float32Array, durationMs: number, emit: Emit, signal?: AbortSignal) {
    if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    const t0 = performance.now();
    // the speaker count is a clustering setting of the shared object: set it per request (jobs run one at a time)
    this.sd.setConfig({ clustering: { numClusters: req.numSpeakers ?? -1, threshold: this.settings.threshold } });
    let raw: DiarizationSegment[];
    try {
      raw = await this.addon.offlineSpeakerDiarizationProcessAsync(this.sd.handle, samples, () => (signal?.aborted ? 0 : 1));
    } catch (e) {
      throw new HearthError("internal", `sherpa-onnx diarization: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
    if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    const segments = raw
      .map((s) => ({
        startMs: Math.round(s.start * 1000),
        endMs: Math.min(Math.round(s.end * 1000), Math.round(durationMs)),
        speaker: s.speaker,
      }))
      .sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
    const totalMs = performance.now() - t0;
    const result: DiarizeResult = {
      segments,
      profile: { totalMs, realTimeFactor: durationMs ? totalMs / durationMs : undefined, device: "sherpa/cpu" },
    };
    emit({ type: "result", task: "diarize", result });
  }

  async dispose() {
    await this.jobs.idle();
  }
}
