// Speech recognition: `ASR.load(ref)`, `asr.transcribe(audio, { language })` with segment
// timestamps, and `asr.stream()` for a growing buffer (live microphone, upload in progress).
import type { LoadedModel } from "../backends/types.ts";
import type { TaskEvent } from "../model/task.ts";
import type { TranscribeResult, TranscriptSegment } from "../model/tasks/speech.ts";
import { encodeWav } from "../media/audio.ts";
import { detectSpeech } from "../media/vad.ts";
import { HearthError } from "../errors/HearthError.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { loadReporter } from "./loadProgress.ts";
import { loadModel } from "../runtime/load.ts";
import { engineOptions } from "./engineOptions.ts";
import { readMediaSource, type MediaInputOptions, type MediaSource } from "./mediaInput.ts";
import type { LoadModelOptions, ModelHandleInfo } from "./types.ts";

export type { TranscribeResult, TranscriptSegment };

export interface ASRLoadOptions extends LoadModelOptions {
  /** whisper.cpp's temperature step when a decode looks poor (default 0.2; 0 = never retry) */
  temperatureInc?: number;
}

/** Options of `asr.transcribe()`. */
export interface TranscribeOptions extends MediaInputOptions {
  /** ISO 639-1 code ("en", "de"...); default: detect */
  language?: string;
  /** text that conditions the decoder (names, spelling) */
  prompt?: string;
  /** cut silence before recognition (default true) */
  vad?: boolean;
  /** called for each segment as it is recognised */
  onSegment?: (segment: TranscriptSegment) => void;
  signal?: AbortSignal;
}

/** Options of `asr.stream()`. */
export interface StreamOptions {
  language?: string;
  prompt?: string;
  /** sample rate of the pushed samples (default 16000) */
  sampleRate?: number;
  /** re-transcribe the open window after this much new audio, ms (default 1000) */
  stepMs?: number;
  /** silence that closes a window (its text becomes final), ms (default 600) */
  endSilenceMs?: number;
  /** a window is closed at this length even without silence, ms (default 28000: under Whisper's 30 s) */
  maxWindowMs?: number;
}

/** What a stream yields: `partial` text may still change; `final` text for its window will not. */
export interface StreamUpdate {
  type: "partial" | "final";
  text: string;
  /** absolute times from the start of the stream */
  segments: TranscriptSegment[];
  /** processing time of this update / audio in its window */
  realTimeFactor?: number;
}

/** Speech recognition (whisper.cpp): `ASR.load(ref)`, then `transcribe()` a recording or `stream()` live audio. */
export class ASR {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a whisper.cpp model: a ggml .bin path or a store name (pulled on first use). */
  static async load(ref: string, options: ASRLoadOptions = {}): Promise<ASR> {
    const progress = loadReporter(ref, options);
    const files = await resolveModel(ref, { type: "asr", pull: options.pull, ...progress.resolve });
    const model = await progress.load(() =>
      loadModel(files, {
        ...engineOptions(options),
        extra: options.temperatureInc !== undefined ? { temperatureInc: options.temperatureInc } : undefined,
      }),
    );
    return new ASR(model, { ...model.info, ref });
  }

  /** Transcribes a whole recording: a path, bytes or data URI of WAV, MP3, FLAC or OGG. */
  async transcribe(audio: MediaSource, options: TranscribeOptions = {}): Promise<TranscribeResult> {
    const { data } = await readMediaSource(audio, options);
    return this.run(data, options);
  }

  private async run(data: Uint8Array, options: TranscribeOptions): Promise<TranscribeResult> {
    let result: TranscribeResult | undefined;
    const events: AsyncIterable<TaskEvent> = this.model.run(
      { task: "asr", audio: data, language: options.language, prompt: options.prompt, vad: options.vad ?? true },
      options.signal,
    );
    for await (const e of events) {
      if (e.type === "segment") options.onSegment?.({ startMs: e.startMs, endMs: e.endMs, text: e.text });
      if (e.type === "result") result = e.result as TranscribeResult;
    }
    if (!result) throw new HearthError("internal", "the engine ended without a result");
    return result;
  }

  /**
   * Streaming transcription of a growing buffer: push samples as they arrive, iterate updates.
   * The open window is re-transcribed every `stepMs` of new audio; when `endSilenceMs` of silence
   * follows speech (or the window reaches `maxWindowMs`) its text is final and a new window starts.
   */
  stream(options: StreamOptions = {}): TranscriptionStream {
    return new TranscriptionStream((samples, rate, base) => this.transcribeWindow(samples, rate, base, options), options);
  }

  private async transcribeWindow(samples: Float32Array, rate: number, baseMs: number, o: StreamOptions): Promise<StreamUpdate> {
    const t0 = performance.now();
    const r = await this.run(encodeWav(samples, rate), { language: o.language, prompt: o.prompt, vad: false });
    const segments = r.segments.map((s) => ({ ...s, startMs: s.startMs + baseMs, endMs: s.endMs + baseMs }));
    const ms = (samples.length / rate) * 1000;
    return { type: "partial", text: r.text, segments, realTimeFactor: ms ? (performance.now() - t0) / ms : undefined };
  }

  /** Frees the model. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using asr = await ASR.load(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

type WindowTranscriber = (samples: Float32Array, rate: number, baseMs: number) => Promise<StreamUpdate>;

/** Live transcription: `push()` samples as they arrive, `end()` when done, and iterate for partial and final text. */
export class TranscriptionStream implements AsyncIterable<StreamUpdate> {
  private window: Float32Array[] = [];
  private windowLength = 0;
  private windowStartMs = 0;
  private sinceStep = 0;
  private updates: StreamUpdate[] = [];
  private wake?: () => void;
  private ended = false;
  private failure?: unknown;
  private work: Promise<void> = Promise.resolve();
  private readonly rate: number;

  /** @internal */
  constructor(
    private transcribe: WindowTranscriber,
    private o: StreamOptions,
  ) {
    this.rate = o.sampleRate ?? 16000;
  }

  /** Appends mono float samples (at `sampleRate`). */
  push(samples: Float32Array): void {
    if (this.ended) throw new HearthError("bad_input", "push() after end()", { hint: "start a new stream" });
    this.window.push(samples);
    this.windowLength += samples.length;
    this.sinceStep += samples.length;
    if ((this.sinceStep / this.rate) * 1000 >= (this.o.stepMs ?? 1000)) {
      this.sinceStep = 0;
      this.schedule(false);
    }
  }

  /** No more audio: the open window is transcribed one last time and the iteration ends. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.schedule(true);
    this.work.then(() => this.notify());
  }

  private schedule(final: boolean) {
    this.work = this.work
      .then(() => this.step(final))
      .catch((e) => {
        this.failure = e;
        this.notify();
      });
  }

  private notify() {
    this.wake?.();
  }

  private async step(forceFinal: boolean) {
    if (this.windowLength === 0) return;
    const samples = new Float32Array(this.windowLength);
    let at = 0;
    for (const c of this.window) {
      samples.set(c, at);
      at += c.length;
    }
    const ms = (samples.length / this.rate) * 1000;
    const speech = detectSpeech(samples, this.rate, { padMs: 0 });
    const lastSpeechEnd = speech.length ? speech[speech.length - 1].endMs : 0;
    const closes =
      forceFinal || ms >= (this.o.maxWindowMs ?? 28000) || (speech.length > 0 && ms - lastSpeechEnd >= (this.o.endSilenceMs ?? 600));
    if (speech.length === 0 && !forceFinal) {
      // silence only so far: nothing to say; keep at most the last second as lead-in
      const keep = Math.min(samples.length, this.rate);
      this.windowStartMs += ((samples.length - keep) / this.rate) * 1000;
      this.window = [samples.slice(samples.length - keep)];
      this.windowLength = keep;
      return;
    }
    const update = await this.transcribe(samples, this.rate, this.windowStartMs);
    if (closes) {
      update.type = "final";
      this.windowStartMs += ms;
      this.window = [];
      this.windowLength = 0;
    }
    this.updates.push(update);
    this.notify();
  }

  /** Partial updates while a window is open, a final one when it closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<StreamUpdate> {
    for (;;) {
      while (this.updates.length) yield this.updates.shift()!;
      if (this.failure) throw this.failure;
      if (this.ended) {
        await this.work;
        while (this.updates.length) yield this.updates.shift()!;
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}
