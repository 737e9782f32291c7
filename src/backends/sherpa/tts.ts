// Speech synthesis with sherpa-onnx: VITS (Piper, Coqui, MeloTTS and character models) and Kokoro.
// Audio streams out a sentence at a time (maxNumSentences 1: sherpa-onnx calls back per batch of
// sentences), so a long text starts playing before it is all made.
import { existsSync, statSync } from "node:fs";
import type { LoadedModel, LoadedModelInfo } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import type { SpeakRequest, SpeakResult } from "../../model/tasks/speech.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readOnnxMetadata } from "../../formats/onnxMetadata.ts";
import { SerialJobs, type Emit } from "../../streams/serialJobs.ts";
import type { GeneratedAudio, OfflineTts, SherpaModule } from "./sherpaApi.ts";
import { piperSpeakerNames, speakerId, voiceNames } from "./voices.ts";
import { createOrExplain, sherpaInfo } from "./loaded.ts";

/** OpenAI's accepted range for `speed`; sherpa-onnx would take any positive number. */
export const SPEED_RANGE = { min: 0.25, max: 4 } as const;

export type TtsFamily = "vits" | "kokoro";

function need(file: string | undefined, what: string, model: string): string {
  // sherpa-onnx exits the process on missing files: check here and fail with a clear error instead
  if (!file || !existsSync(file)) {
    throw new HearthError("bad_input", `the TTS model ${model} has no ${what}`, { hint: `put ${what} beside the .onnx file` });
  }
  return file;
}

function needMetadata(metadata: Record<string, string>, keys: string[], family: string, model: string) {
  // sherpa-onnx exits the process when a metadata key it reads is missing: check first
  const missing = keys.filter((k) => metadata[k] === undefined);
  if (missing.length) {
    throw new HearthError(
      "unsupported_architecture",
      `${model} is not a ${family} model for sherpa-onnx (no ${missing.join(", ")} in its metadata)`,
      {
        hint: `give a ${family} model exported for sherpa-onnx`,
      },
    );
  }
}

/** sherpa-onnx's config for the model, checked so the engine never exits the process on it. */
export function ttsConfig(files: ModelFiles, metadata: Record<string, string>, threads: number): { family: TtsFamily; config: unknown } {
  const x = files.extra ?? {};
  const tokens = need(x.tokens, "tokens.txt", files.primary);
  const common = { numThreads: threads, provider: "cpu", debug: 0 };
  if (x.voices || /^kokoro/i.test(metadata.model_type ?? "")) {
    needMetadata(metadata, ["sample_rate", "n_speakers", "has_espeak", "style_dim"], "Kokoro", files.primary);
    const voices = need(x.voices, "voices.bin", files.primary);
    const dataDir = need(x.dataDir, "espeak-ng-data/ folder", files.primary);
    // voices.bin holds n_speakers x style_dim[0] x style_dim[2] floats; another size makes the engine exit
    const dims = metadata.style_dim.split(",").map(Number);
    const expected = 4 * Number(metadata.n_speakers) * dims[0] * dims[2];
    if (dims.length !== 3 || statSync(voices).size !== expected) {
      throw new HearthError(
        "unsupported_architecture",
        `${voices} does not match the model (expected ${expected} bytes for style_dim ${metadata.style_dim})`,
        {
          hint: "use the voices.bin released with this model",
        },
      );
    }
    // multi-lingual Kokoro (v1.0 on, metadata version >= 2) also needs its lexicons and jieba dictionary
    const multiLingual = Number(metadata.version ?? 1) >= 2;
    if (multiLingual) {
      need(x.lexicon?.split(",")[0], "lexicon*.txt", files.primary);
      need(x.dictDir, "dict/ folder", files.primary);
    }
    return {
      family: "kokoro",
      config: {
        model: {
          kokoro: {
            model: files.primary,
            voices,
            tokens,
            dataDir,
            lexicon: multiLingual ? x.lexicon : "",
            dictDir: multiLingual ? x.dictDir : "",
          },
          ...common,
        },
        maxNumSentences: 1,
      },
    };
  }
  needMetadata(metadata, ["sample_rate", "n_speakers", "language", "comment"], "VITS", files.primary);
  const characters = metadata.frontend === "characters";
  // Chinese VITS models segment words with jieba; the engine refuses a dictionary for any other model
  const jieba = metadata.jieba === "1";
  if (jieba) need(x.dictDir, "dict/ folder", files.primary);
  // only Piper, Coqui and icefall exports phonemize with espeak-ng; the rest need their lexicon
  const espeak = Boolean(x.dataDir) && /piper|coqui|icefall/i.test(metadata.comment ?? "");
  if (!characters && !x.lexicon && !espeak) {
    throw new HearthError("bad_input", `the TTS model ${files.primary} needs a lexicon or phonemizer data`, {
      hint: "put lexicon.txt or the espeak-ng-data/ folder beside the .onnx file",
    });
  }
  return {
    family: "vits",
    config: {
      model: {
        vits: {
          model: files.primary,
          tokens,
          lexicon: characters ? "" : (x.lexicon ?? ""),
          dataDir: espeak ? x.dataDir : "",
          dictDir: jieba ? x.dictDir : "",
        },
        ...common,
      },
      maxNumSentences: 1,
    },
  };
}

export async function loadTts(sherpa: SherpaModule, files: ModelFiles, threads: number, t0: number): Promise<LoadedModel> {
  const metadata = readOnnxMetadata(files.primary);
  const { family, config } = ttsConfig(files, metadata, threads);
  const tts = await createOrExplain(files.primary, "check that the folder holds a complete sherpa-onnx TTS model", () =>
    sherpa.OfflineTts.createAsync(config),
  );
  const voices = voiceNames(metadata, tts.numSpeakers, metadata.speaker_names ? undefined : piperSpeakerNames(files.primary));
  const info = sherpaInfo("tts", t0, { threads, family, sampleRate: tts.sampleRate, voices, language: metadata.language });
  return new SherpaTtsModel(tts, info, voices);
}

class SherpaTtsModel implements LoadedModel {
  private jobs = new SerialJobs();

  constructor(
    private tts: OfflineTts,
    readonly info: LoadedModelInfo,
    private voices: string[],
  ) {}

  async *run(request: TaskRequest, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    if (request.task !== "tts") {
      throw new HearthError("unsupported_task", `a text-to-speech model cannot run task "${request.task}"`, { hint: "it runs tts" });
    }
    // check before queueing: bad requests fail at once, not after others finish
    const text = request.text?.trim() ?? "";
    if (!text) throw new HearthError("bad_input", "the text to speak is empty", { hint: "give some text" });
    const speed = request.speed ?? 1;
    if (!Number.isFinite(speed) || speed < SPEED_RANGE.min || speed > SPEED_RANGE.max) {
      throw new HearthError("bad_input", `speed ${request.speed} is out of range`, {
        hint: `use ${SPEED_RANGE.min} to ${SPEED_RANGE.max}; 1 is normal speed`,
      });
    }
    const sid = speakerId(request.voice, this.voices);
    yield* this.jobs.run((emit) => this.speak({ ...request, text, speed }, sid, emit, signal));
  }

  private async speak(req: SpeakRequest, sid: number, emit: Emit, signal?: AbortSignal) {
    if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    const t0 = performance.now();
    let ttftMs: number | undefined;
    const sampleRate = this.tts.sampleRate;
    let audio: GeneratedAudio;
    try {
      audio = await this.tts.generateAsync({
        text: req.text,
        sid,
        speed: req.speed ?? 1,
        onProgress: ({ samples }) => {
          if (signal?.aborted) return 0; // stops after this batch of sentences
          ttftMs ??= performance.now() - t0;
          // the engine frees its buffer when the callback returns: keep a copy
          if (samples.length) emit({ type: "audio", samples: samples.slice(), sampleRate });
          return 1;
        },
      });
    } catch (e) {
      // sherpa-onnx rejects when the front end finds nothing it can pronounce
      if (/no audio/i.test(String((e as Error)?.message))) throw this.nothingToSay(e);
      throw new HearthError("internal", `sherpa-onnx: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
    if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    if (audio.samples.length === 0) throw this.nothingToSay();
    const totalMs = performance.now() - t0;
    const durationMs = (audio.samples.length / audio.sampleRate) * 1000;
    const result: SpeakResult = {
      sampleRate: audio.sampleRate,
      samples: audio.samples,
      durationMs,
      profile: { totalMs, ttftMs, realTimeFactor: totalMs / durationMs, device: "sherpa/cpu" },
    };
    emit({ type: "result", task: "tts", result });
  }

  private nothingToSay(cause?: unknown) {
    return new HearthError("bad_input", "nothing to say: the text has no words or characters this model can speak", {
      hint: `check the text's language: the model speaks ${this.info.settings.language ?? "its own language"}`,
      cause,
    });
  }

  async dispose() {
    await this.jobs.idle();
    // sherpa-onnx frees its native objects when they are garbage-collected
    this.tts = undefined as unknown as OfflineTts;
  }
}
