// POST /v1/audio/speech (OpenAI's shape: `model`, `input`, `voice`, `speed`, `response_format` wav
// or pcm, `stream_format` "sse" for speech.audio.delta events) and POST /v1/audio/diarize
// (multipart `file`, `model`, `num_speakers`). The models run the `tts` and `diarize` tasks through
// the scheduler like any other; errors and disconnects are handled as on every route.
import type { FastifyInstance, FastifyReply } from "fastify";
import multipart from "@fastify/multipart";
import type { TaskEvent } from "../../model/task.ts";
import type { SpeakResult } from "../../model/tasks/speech.ts";
import { encodeWav, encodePcm16, resample } from "../../media/audio.ts";
import type { Lease } from "../../runtime/scheduler.ts";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runOnLease, runToResult } from "../generation.ts";
import { badParam } from "../errors.ts";
import { formLimits, readForm } from "../multipartForm.ts";
import { diarizeSchema, speechSchema, type SPEECH_FORMATS, type SPEECH_STREAM_FORMATS } from "../schemas/audio.ts";
import { SseStream } from "../sse.ts";

export interface SpeechRoutesOptions {
  /** longest accepted `input`, characters (default 20000) */
  maxInputChars?: number;
  /** largest accepted upload for diarization (default 200 MiB) */
  maxUploadBytes?: number;
}

/** OpenAI's `pcm` format: 16-bit little-endian mono at 24 kHz, whatever rate the model makes. */
export const PCM_SAMPLE_RATE = 24000;

interface SpeechBody {
  model: string;
  input: string;
  voice?: string | null;
  speed?: number | null;
  response_format?: (typeof SPEECH_FORMATS)[number] | null;
  stream_format?: (typeof SPEECH_STREAM_FORMATS)[number] | null;
}

interface DiarizeBody {
  model: string;
  file: Buffer;
  num_speakers?: string;
}

function pcmBytes(samples: Float32Array, sampleRate: number): Buffer {
  const b = encodePcm16(resample(samples, sampleRate, PCM_SAMPLE_RATE));
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function speakRequest(body: SpeechBody) {
  return { task: "tts" as const, text: body.input, voice: body.voice ?? undefined, speed: body.speed ?? undefined };
}

async function speakWhole(reply: FastifyReply, lease: Lease, body: SpeechBody, signal: AbortSignal, ctx: RouteContext) {
  const r = await runToResult(lease, speakRequest(body), signal, ctx.metrics);
  reply.header("x-audio-duration-ms", Math.round(r.durationMs)).header("x-real-time-factor", (r.profile.realTimeFactor ?? 0).toFixed(4));
  if (body.response_format === "pcm") {
    return reply.type("audio/pcm").header("x-sample-rate", PCM_SAMPLE_RATE).send(pcmBytes(r.samples, r.sampleRate));
  }
  const wav = encodeWav(r.samples, r.sampleRate);
  return reply
    .type("audio/wav")
    .header("x-sample-rate", r.sampleRate)
    .send(Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength));
}

/**
 * SSE like OpenAI's: `speech.audio.delta` events carrying base64 PCM (16-bit, 24 kHz) as each
 * chunk (a sentence) is made, then `speech.audio.done`. The first event is awaited before the
 * headers go out, so a bad request (unknown voice, nothing to say) still gets a plain 400.
 */
async function speakSse(reply: FastifyReply, lease: Lease, body: SpeechBody, signal: AbortSignal, ctx: RouteContext) {
  const events = runOnLease(lease, speakRequest(body), signal, ctx.metrics);
  const first = await events.next();
  const sse = new SseStream(signal);
  void streamSpeech(sse, events, first, body.input.length);
  return sse.start(reply);
}

async function streamSpeech(sse: SseStream, events: AsyncGenerator<TaskEvent>, first: IteratorResult<TaskEvent>, inputChars: number) {
  try {
    let result: SpeakResult | undefined;
    for (let it = first; !it.done; it = await events.next()) {
      const e = it.value;
      if (e.type === "audio") await sse.send({ type: "speech.audio.delta", audio: pcmBytes(e.samples, e.sampleRate).toString("base64") });
      else if (e.type === "result") result = e.result as SpeakResult;
    }
    if (!result) throw new Error("the engine ended without a result");
    await sse.send({
      type: "speech.audio.done",
      usage: { input_tokens: inputChars, output_tokens: 0, total_tokens: inputChars },
      duration_ms: result.durationMs,
      sample_rate: PCM_SAMPLE_RATE,
      profile: result.profile,
    });
    sse.end(); // OpenAI's speech stream ends after speech.audio.done, without [DONE]
  } catch (e) {
    await sse.fail(e, { type: "error" });
  } finally {
    await events.return(undefined);
  }
}

export async function speechRoutes(app: FastifyInstance, ctx: RouteContext & SpeechRoutesOptions) {
  const maxChars = ctx.maxInputChars ?? 20000;
  const maxBytes = ctx.maxUploadBytes ?? 200 * 1024 * 1024;
  await app.register(multipart, { limits: formLimits(maxBytes) });

  app.post("/v1/audio/speech", { schema: speechSchema }, async (req, reply) => {
    const body = req.body as SpeechBody;
    noteRequest(req, { model: body.model });
    if (!body.input.trim()) throw badParam("input", "`input` is empty", "give the text to speak");
    if (body.input.length > maxChars)
      throw badParam("input", `\`input\` is ${body.input.length} characters, more than the limit of ${maxChars}`, "split the text");
    const signal = disconnectSignal(reply);
    const lease = await ctx.manager.acquire(body.model, "tts", signal);
    return body.stream_format === "sse" ? speakSse(reply, lease, body, signal, ctx) : speakWhole(reply, lease, body, signal, ctx);
  });

  app.post(
    "/v1/audio/diarize",
    {
      schema: diarizeSchema,
      preValidation: readForm({
        files: { file: "file" },
        maxFileBytes: maxBytes,
        multipartOnly: { hint: "send the audio as the `file` field" },
      }),
    },
    async (req, reply) => {
      const body = req.body as DiarizeBody;
      noteRequest(req, { model: body.model });
      let numSpeakers: number | undefined;
      if (body.num_speakers !== undefined && body.num_speakers.trim() !== "") {
        numSpeakers = Number(body.num_speakers);
        if (!Number.isInteger(numSpeakers) || numSpeakers < 1 || numSpeakers > 100) {
          throw badParam(
            "num_speakers",
            `num_speakers "${body.num_speakers}" is not a whole number from 1 to 100`,
            "leave it out to let the model decide",
          );
        }
      }
      const signal = disconnectSignal(reply);
      const lease = await ctx.manager.acquire(body.model, "diarize", signal);
      const audio = new Uint8Array(body.file.buffer, body.file.byteOffset, body.file.byteLength);
      const r = await runToResult(lease, { task: "diarize", audio, numSpeakers }, signal, ctx.metrics);
      return reply.send({
        model: body.model,
        num_speakers: new Set(r.segments.map((s) => s.speaker)).size,
        segments: r.segments.map((s) => ({ start: s.startMs / 1000, end: s.endMs / 1000, speaker: s.speaker })),
        profile: r.profile,
      });
    },
  );
}
