// Speech synthesis: `TTS.load(ref)`, `tts.speak(text, { voice, speed })` for the whole audio, and
// `tts.stream(text)` for chunks as they are made (a sentence at a time), with the whole at the end.
import type { LoadedModel } from "../backends/types.ts";
import type { TaskEvent } from "../model/task.ts";
import type { SpeakResult } from "../model/tasks/speech.ts";
import { encodeWav, encodePcm16 } from "../media/audio.ts";
import { EventQueue } from "../streams/eventQueue.ts";
import { HearthError } from "../errors/HearthError.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { loadReporter } from "./loadProgress.ts";
import { loadModel } from "../runtime/load.ts";
import { engineOptions } from "./engineOptions.ts";
import type { LoadModelOptions, ModelHandleInfo } from "./types.ts";

export type { SpeakResult };

/** Options of `TTS.load()`. */
export type TTSLoadOptions = LoadModelOptions;

/** Options of `tts.speak()` and `tts.stream()`. */
export interface SpeakOptions {
  /** a voice name from `tts.voices` (any case) or its number; default the model's first */
  voice?: string;
  /** 1 = normal, 2 = twice as fast; 0.25 to 4 */
  speed?: number;
  /** called with each chunk of audio as it is made */
  onAudio?: (chunk: AudioChunk) => void;
  signal?: AbortSignal;
}

/** A piece of speech as `tts.stream()` makes it. */
export interface AudioChunk {
  /** mono float32 samples in [-1, 1] */
  samples: Float32Array;
  sampleRate: number;
}

/** What `tts.stream()` returns: iterate for chunks, await `result` for the whole. */
export interface SpeechStream extends AsyncIterable<AudioChunk> {
  readonly result: Promise<SpeakResult>;
}

/** Speech synthesis (sherpa-onnx: VITS/Piper, Kokoro): `TTS.load(ref)`, then `speak(text)` or `stream(text)`. */
export class TTS {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a TTS model: a folder or .onnx path, or a store name (pulled on first use). */
  static async load(ref: string, options: TTSLoadOptions = {}): Promise<TTS> {
    const progress = loadReporter(ref, options);
    const files = await resolveModel(ref, { type: "tts", pull: options.pull, ...progress.resolve });
    const model = await progress.load(() =>
      loadModel(files, {
        ...engineOptions(options),
      }),
    );
    return new TTS(model, { ...model.info, ref });
  }

  /** The model's voices, by name (or number, for models without names). */
  get voices(): string[] {
    return (this.info.settings.voices as string[] | undefined) ?? [];
  }

  /** Output sample rate, Hz. */
  get sampleRate(): number {
    return Number(this.info.settings.sampleRate);
  }

  /** Synthesises the whole text; chunks go to `onAudio` as they are made. */
  async speak(text: string, options: SpeakOptions = {}): Promise<SpeakResult> {
    let result: SpeakResult | undefined;
    for await (const e of this.events(text, options)) {
      if (e.type === "audio") options.onAudio?.({ samples: e.samples, sampleRate: e.sampleRate });
      if (e.type === "result") result = e.result as SpeakResult;
    }
    if (!result) throw new HearthError("internal", "the engine ended without a result");
    return result;
  }

  /**
   * Chunks of audio as they are made; the chunks add up to `result.samples`. Leaving the loop early
   * stops the synthesis (and `result` rejects with code "aborted").
   */
  stream(text: string, options: Omit<SpeakOptions, "onAudio"> = {}): SpeechStream {
    const chunks = new EventQueue<AudioChunk>();
    let done = false;
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const result = this.speak(text, { ...options, signal, onAudio: (c) => chunks.push(c) });
    result.then(
      () => {
        done = true;
        chunks.end();
      },
      () => {
        done = true;
        chunks.end();
      },
    );
    return {
      result,
      async *[Symbol.asyncIterator]() {
        try {
          yield* chunks.drain();
          await result; // rethrows a failure
        } finally {
          if (!done) stop.abort();
        }
      },
    };
  }

  private events(text: string, options: SpeakOptions): AsyncIterable<TaskEvent> {
    return this.model.run({ task: "tts", text, voice: options.voice, speed: options.speed }, options.signal);
  }

  /** 16-bit PCM WAV bytes of a result. */
  static toWav(result: Pick<SpeakResult, "samples" | "sampleRate">): Uint8Array {
    return encodeWav(result.samples, result.sampleRate);
  }

  /** Raw 16-bit little-endian PCM bytes (no header) of samples. */
  static toPcm16(samples: Float32Array): Uint8Array {
    return encodePcm16(samples);
  }

  /** Frees the model. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using tts = await TTS.load(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
