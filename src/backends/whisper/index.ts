// Speech recognition with whisper.cpp through @fugood/whisper.node (Whisper-family ggml models).
// The first ASR engine: its model format (the legacy ggml binary) can be written as a random-weight
// fixture here, so the real loader and decoder run in tests. sherpa-onnx recognises speech too
// (NeMo CTC models, backends/sherpa/asr.ts), from fixtures the project's ONNX writer makes.
import { createRequire } from "node:module";
import type { Backend, DeviceProbe, LoadedModel, LoadOptions } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import type { TranscribeRequest, TranscribeResult, TranscriptSegment } from "../../model/tasks/speech.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { decodeAudio } from "../../media/audio.ts";
import { detectSpeech, joinRegions } from "../../media/vad.ts";
import { isWhisperLanguage } from "./languages.ts";
import { descriptor } from "./descriptor.ts";
import { checkWhisperGgml } from "./layout.ts";
import { SerialJobs, type Emit } from "../../streams/serialJobs.ts";

type WhisperNode = typeof import("@fugood/whisper.node");
type Context = Awaited<ReturnType<WhisperNode["initWhisper"]>>;

const GPU_VARIANTS = ["cuda", "vulkan"] as const;
const require = createRequire(import.meta.url);

/** Which GPU build of whisper.node loads here. whisper.node itself falls back to the CPU build
 *  silently when a variant fails, so each variant's platform package is opened directly (as
 *  whisper.node does, with require) to learn the true reason: not installed, or a missing
 *  driver library (libcudart, libvulkan). */
function gpuVariant(): { variant?: (typeof GPU_VARIANTS)[number]; reason: string } {
  const reasons: string[] = [];
  for (const variant of GPU_VARIANTS) {
    const pkg = `@fugood/node-whisper-${process.platform}-${process.arch}-${variant}`;
    try {
      require(pkg);
      return { variant, reason: "" };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      reasons.push(
        err.code === "MODULE_NOT_FOUND" ? `${variant}: no build for this platform` : `${variant}: ${String(err.message).split("\n")[0]}`,
      );
    }
  }
  return { reason: reasons.join("; ") };
}

function toPcm16(samples: Float32Array): ArrayBuffer {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767)));
  return pcm.buffer;
}

class WhisperModel implements LoadedModel {
  readonly info;
  /** whisper.cpp's context runs one transcription at a time: requests wait in order */
  private readonly jobs = new SerialJobs();

  constructor(
    private ctx: Context,
    info: LoadedModel["info"],
    private temperatureInc: number,
  ) {
    this.info = info;
  }

  async *run(request: TaskRequest, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    if (request.task !== "asr")
      throw new HearthError("unsupported_task", `the whisper engine cannot run task "${request.task}"`, { hint: "it runs asr" });
    const language = request.language?.trim().toLowerCase() || undefined;
    if (language && !isWhisperLanguage(language)) {
      throw new HearthError("bad_input", `whisper does not know the language ${JSON.stringify(request.language)}`, {
        hint: "use an ISO 639-1 code such as en, de or fr, or leave it out to detect the language",
      });
    }
    // decode first: bad audio fails without waiting for other requests
    const audio = await decodeAudio(request.audio, { sampleRate: 16000 });
    yield* this.jobs.run((emit) => this.transcribe({ ...request, language }, audio.samples, audio.durationMs, emit, signal));
  }

  private async transcribe(req: TranscribeRequest, samples: Float32Array, durationMs: number, emit: Emit, signal?: AbortSignal) {
    if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    const t0 = performance.now();
    let input = samples;
    let toOriginalMs = (ms: number) => ms;
    if (req.vad) {
      const regions = detectSpeech(samples, 16000);
      const joined = joinRegions(samples, 16000, regions);
      input = joined.samples;
      toOriginalMs = joined.toOriginalMs;
    }
    const segments: TranscriptSegment[] = [];
    let language = req.language;
    if (input.length >= 1600) {
      // whisper.cpp needs at least 100 ms
      const clamp = (ms: number) => Math.max(0, Math.min(durationMs, toOriginalMs(ms)));
      const seen = { n: 0 };
      const handle = this.ctx.transcribeData(toPcm16(input), {
        language: req.language ?? "auto",
        prompt: req.prompt,
        maxThreads: Number(this.info.settings.threads),
        temperature: 0,
        temperatureInc: this.temperatureInc,
        onNewSegments: (r) => {
          for (const s of r.segments.slice(seen.n)) emit({ type: "segment", startMs: clamp(s.t0), endMs: clamp(s.t1), text: s.text });
          seen.n = r.segments.length;
        },
      });
      const onAbort = () => void handle.stop();
      signal?.addEventListener("abort", onAbort, { once: true });
      let r: Awaited<typeof handle.promise>;
      try {
        r = await handle.promise;
      } catch (e) {
        throw new HearthError("internal", `whisper: ${e instanceof Error ? e.message : e}`, { cause: e });
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
      if (signal?.aborted || r.isAborted) throw new HearthError("aborted", "the request was aborted");
      for (const s of r.segments) segments.push({ startMs: clamp(s.t0), endMs: clamp(s.t1), text: s.text });
      language = r.language ?? language;
    }
    const totalMs = performance.now() - t0;
    const result: TranscribeResult = {
      text: segments
        .map((s) => s.text)
        .join("")
        .trim(),
      language,
      segments,
      durationMs,
      profile: { totalMs, realTimeFactor: durationMs ? totalMs / durationMs : undefined, device: `whisper/${this.info.device}` },
    };
    emit({ type: "result", task: "asr", result });
  }

  async dispose() {
    await this.jobs.idle();
    await this.ctx.release();
  }
}

export default async function createBackend(): Promise<Backend> {
  const wn: WhisperNode = await import("@fugood/whisper.node");
  return {
    descriptor,
    async probe(): Promise<DeviceProbe[]> {
      const gpu = gpuVariant();
      return [
        { device: "cpu", api: "cpu", available: true },
        { device: "gpu", api: gpu.variant ?? "cuda/vulkan", available: !!gpu.variant, reason: gpu.variant ? undefined : gpu.reason },
      ];
    },
    async load(model: ModelFiles, options: LoadOptions): Promise<LoadedModel> {
      const t0 = performance.now();
      checkWhisperGgml(model.primary);
      const threads = options.threads ?? physicalCores();
      let variant: (typeof GPU_VARIANTS)[number] | undefined;
      if (options.device === "gpu") {
        const gpu = gpuVariant();
        if (!gpu.variant)
          throw new HearthError("backend_unavailable", `whisper cannot use a GPU here: ${gpu.reason}`, { hint: "use --device cpu" });
        variant = gpu.variant;
      }
      let ctx: Context;
      try {
        ctx = await wn.initWhisper({ filePath: model.primary, useGpu: options.device === "gpu" }, variant);
      } catch (e) {
        throw new HearthError(
          "unsupported_architecture",
          `whisper could not load ${model.primary}: ${e instanceof Error ? e.message : e}`,
          {
            hint: "check that the file is a complete whisper.cpp ggml model",
            cause: e,
          },
        );
      }
      // whisper.cpp retries at higher temperatures when a decode looks poor (0.2 steps by default)
      const temperatureInc = typeof options.extra?.temperatureInc === "number" ? options.extra.temperatureInc : 0.2;
      return new WhisperModel(
        ctx,
        {
          backend: descriptor.name,
          device: options.device,
          api: variant ?? "cpu",
          tasks: ["asr"],
          loadMs: performance.now() - t0,
          settings: { threads, temperatureInc },
        },
        temperatureInc,
      );
    },
  };
}
