// Speech recognition with sherpa-onnx's offline recogniser: NeMo CTC models (model.onnx + tokens.txt,
// as sherpa-onnx's releases ship them). With voice activity detection each speech region is decoded
// as its own stream and becomes a segment at its place in the original audio.
import { existsSync, readFileSync } from "node:fs";
import type { LoadedModel, LoadedModelInfo } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import type { TranscribeRequest, TranscribeResult, TranscriptSegment } from "../../model/tasks/speech.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { decodeAudio } from "../../media/audio.ts";
import { detectSpeech } from "../../media/vad.ts";
import { readOnnxMetadata } from "../../formats/onnxMetadata.ts";
import { SerialJobs, type Emit } from "../../streams/serialJobs.ts";
import type { OfflineRecognizer, SherpaModule } from "./sherpaApi.ts";
import { createOrExplain, sherpaInfo } from "./loaded.ts";

const SAMPLE_RATE = 16000;

/** sherpa-onnx's config, checked first: the engine exits the process on a missing file or metadata key. */
export function asrConfig(files: ModelFiles, threads: number): unknown {
  const m = readOnnxMetadata(files.primary);
  const missing = ["vocab_size", "subsampling_factor"].filter((k) => m[k] === undefined);
  if (missing.length) {
    throw new HearthError(
      "unsupported_architecture",
      `${files.primary} is not a NeMo CTC model for sherpa-onnx (no ${missing.join(", ")} in its metadata)`,
      {
        hint: "give a NeMo CTC model exported for sherpa-onnx",
      },
    );
  }
  const tokens = files.extra?.tokens;
  if (!tokens || !existsSync(tokens)) {
    throw new HearthError("bad_input", `the speech recognition model ${files.primary} has no tokens.txt`, {
      hint: "put tokens.txt beside the .onnx file",
    });
  }
  // greedy CTC decoding looks the blank up by name
  if (!/^(<blk>|<eps>|<blank>)\s/m.test(readFileSync(tokens, "utf8"))) {
    throw new HearthError("unsupported_architecture", `${tokens} has no blank token (<blk>)`, {
      hint: "use the tokens.txt released with this model",
    });
  }
  return {
    featConfig: { sampleRate: SAMPLE_RATE, featureDim: 80 },
    modelConfig: { nemoCtc: { model: files.primary }, tokens, numThreads: threads, provider: "cpu", debug: 0 },
    decodingMethod: "greedy_search",
  };
}

export async function loadAsr(sherpa: SherpaModule, files: ModelFiles, threads: number, t0: number): Promise<LoadedModel> {
  const config = asrConfig(files, threads);
  const hint = "check that the folder holds a complete sherpa-onnx speech recognition model";
  const recognizer = await createOrExplain(files.primary, hint, () => sherpa.OfflineRecognizer.createAsync(config));
  return new SherpaRecognizer(recognizer, sherpaInfo("asr", t0, { threads, family: "nemo-ctc" }));
}

class SherpaRecognizer implements LoadedModel {
  private jobs = new SerialJobs();

  constructor(
    private recognizer: OfflineRecognizer,
    readonly info: LoadedModelInfo,
  ) {}

  async *run(request: TaskRequest, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    if (request.task !== "asr") {
      throw new HearthError("unsupported_task", `a speech recognition model cannot run task "${request.task}"`, { hint: "it runs asr" });
    }
    // decode first: bad audio fails without waiting for other requests
    const audio = await decodeAudio(request.audio, { sampleRate: SAMPLE_RATE });
    yield* this.jobs.run((emit) => this.transcribe(request, audio.samples, audio.durationMs, emit, signal));
  }

  private async transcribe(req: TranscribeRequest, samples: Float32Array, durationMs: number, emit: Emit, signal?: AbortSignal) {
    const t0 = performance.now();
    const regions = req.vad ? detectSpeech(samples, SAMPLE_RATE) : [{ startMs: 0, endMs: durationMs }];
    const segments: TranscriptSegment[] = [];
    for (const r of regions) {
      if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
      const from = Math.floor((r.startMs / 1000) * SAMPLE_RATE);
      const to = Math.min(samples.length, Math.ceil((r.endMs / 1000) * SAMPLE_RATE));
      if (to - from < SAMPLE_RATE / 100) continue; // under one 10 ms frame
      const stream = this.recognizer.createStream();
      stream.acceptWaveform({ samples: samples.subarray(from, to), sampleRate: SAMPLE_RATE });
      let text: string;
      try {
        text = (await this.recognizer.decodeAsync(stream)).text.trim();
      } catch (e) {
        throw new HearthError("internal", `sherpa-onnx recognition: ${e instanceof Error ? e.message : e}`, { cause: e });
      }
      if (!text) continue;
      const segment = { startMs: r.startMs, endMs: Math.min(r.endMs, durationMs), text };
      segments.push(segment);
      emit({ type: "segment", ...segment });
    }
    if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    const totalMs = performance.now() - t0;
    const result: TranscribeResult = {
      text: segments.map((s) => s.text).join(" "),
      language: req.language,
      segments,
      durationMs,
      profile: { totalMs, realTimeFactor: durationMs ? totalMs / durationMs : undefined, device: "sherpa/cpu" },
    };
    emit({ type: "result", task: "asr", result });
  }

  async dispose() {
    await this.jobs.idle();
    // sherpa-onnx frees its native objects when they are garbage-collected
    this.recognizer = undefined as unknown as OfflineRecognizer;
  }
}
