// POST /v1/audio/speech (OpenAI's shape: `model`, `input`, `voice`, `speed`, `response_format` wav
// or pcm, `stream_format` "sse" for speech.audio.delta events) and POST /v1/audio/diarize
// (multipart `file`, `model`, `num_speakers`). A Fastify plugin the server mounts; which model
// answers to which name is the server's business (opts.getTts, opts.getDiarizer).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import multipart from "@fastify/multipart";
import type { TTS, AudioChunk } from "../../sdk/TTS.ts";
import type { Diarizer } from "../../sdk/Diarizer.ts";
import type { SpeakResult } from "../../model/tasks/speech.ts";
import { encodeWav, encodePcm16, resample } from "../../media/audio.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { sendError } from "./audio.ts";
import { SseStream } from "../sse.ts";

export interface SpeechRoutesOptions {
  /** the loaded TTS model for a requested model name; throws HearthError model_not_found when none */
  getTts: (model: string) => Promise<TTS>;
  /** the loaded diarization model for a requested name; without it /v1/audio/diarize answers 404 */
  getDiarizer?: (model: string) => Promise<Diarizer>;
  /** longest accepted `input`, characters (default 20000) */
  maxInputChars?: number;
  /** largest accepted upload for diarization (default 200 MiB) */
  maxUploadBytes?: number;
}

/** OpenAI's `pcm` format: 16-bit little-endian mono at 24 kHz, whatever rate the model makes. */
export const PCM_SAMPLE_RATE = 24000;
const FORMATS = ["wav", "pcm"] as const;
const STREAM_FORMATS = ["audio", "sse"] as const;
const SPEED = { min: 0.25, max: 4 };

interface SpeechBody {
  model: string;
  input: string;
  voice?: string;
  speed?: number;
  response_format: (typeof FORMATS)[number];
  stream_format: (typeof STREAM_FORMATS)[number];
}

function bad(message: string, hint?: string) {
  return new HearthError("bad_input", message, { hint });
}

function parseSpeechBody(body: unknown, maxChars: number): SpeechBody {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw bad("the request body must be a JSON object", "send {model, input, voice}");
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || !b.model) throw bad("no `model` in the request", "name the TTS model to use");
  if (typeof b.input !== "string") throw bad("`input` must be a string", "give the text to speak");
  if (!b.input.trim()) throw bad("`input` is empty", "give the text to speak");
  if (b.input.length > maxChars) throw bad(`\`input\` is ${b.input.length} characters, more than the limit of ${maxChars}`, "split the text");
  if (b.voice !== undefined && b.voice !== null && typeof b.voice !== "string") throw bad("`voice` must be a string", "name one of the model's voices");
  if (b.speed !== undefined && b.speed !== null && (typeof b.speed !== "number" || !(b.speed >= SPEED.min && b.speed <= SPEED.max))) {
    throw bad(`\`speed\` ${JSON.stringify(b.speed)} is out of range`, `use a number from ${SPEED.min} to ${SPEED.max}; 1 is normal speed`);
  }
  const format = (b.response_format ?? "wav") as SpeechBody["response_format"];
  if (!FORMATS.includes(format)) throw bad(`response_format "${b.response_format}" is not supported`, `use one of: ${FORMATS.join(", ")}`);
  const stream = (b.stream_format ?? "audio") as SpeechBody["stream_format"];
  if (!STREAM_FORMATS.includes(stream)) throw bad(`stream_format "${b.stream_format}" is not supported`, `use one of: ${STREAM_FORMATS.join(", ")}`);
  return {
    model: b.model, input: b.input, voice: (b.voice as string | null) ?? undefined, speed: (b.speed as number | null) ?? undefined,
    response_format: format, stream_format: stream,
  };
}

/** Aborts when the client goes away before the reply is done. */
function disconnectSignal(req: FastifyRequest, reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.on("close", () => { if (!reply.raw.writableFinished) ac.abort(); });
  req.raw.on("close", () => { if (!reply.sent) ac.abort(); });
  return ac.signal;
}

function pcmBytes(samples: Float32Array, sampleRate: number): Buffer {
  const b = encodePcm16(resample(samples, sampleRate, PCM_SAMPLE_RATE));
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

async function speakWhole(reply: FastifyReply, tts: TTS, body: SpeechBody, signal: AbortSignal) {
  const r = await tts.speak(body.input, { voice: body.voice, speed: body.speed, signal });
  reply.header("x-audio-duration-ms", Math.round(r.durationMs)).header("x-real-time-factor", (r.profile.realTimeFactor ?? 0).toFixed(4));
  if (body.response_format === "pcm") {
    return reply.type("audio/pcm").header("x-sample-rate", PCM_SAMPLE_RATE).send(pcmBytes(r.samples, r.sampleRate));
  }
  const wav = encodeWav(r.samples, r.sampleRate);
  return reply.type("audio/wav").header("x-sample-rate", r.sampleRate).send(Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength));
}

/**
 * SSE like OpenAI's: `speech.audio.delta` events carrying base64 PCM (16-bit, 24 kHz) as each
 * chunk is made, then `speech.audio.done`. The first chunk is awaited before the headers go out,
 * so a bad request (unknown voice, nothing to say) still gets a plain 400.
 */
async function speakSse(reply: FastifyReply, tts: TTS, body: SpeechBody, signal: AbortSignal) {
  const stream = tts.stream(body.input, { voice: body.voice, speed: body.speed, signal });
  const chunks = stream[Symbol.asyncIterator]();
  let first: IteratorResult<AudioChunk>;
  try {
    first = await chunks.next();
  } catch (e) {
    return sendError(reply, e);
  }
  const sse = new SseStream(signal);
  sse.start(reply);
  try {
    for (let c = first; !c.done; c = await chunks.next()) {
      await sse.send({ type: "speech.audio.delta", audio: pcmBytes(c.value.samples, c.value.sampleRate).toString("base64") });
    }
    const r: SpeakResult = await stream.result;
    await sse.send({
      type: "speech.audio.done",
      usage: { input_tokens: body.input.length, output_tokens: 0, total_tokens: body.input.length },
      duration_ms: r.durationMs,
      sample_rate: PCM_SAMPLE_RATE,
      profile: r.profile,
    });
    sse.end(); // OpenAI's speech stream ends after speech.audio.done, without [DONE]
  } catch (e) {
    await sse.fail(e, { type: "error" });
  }
  return reply;
}

export async function speechRoutes(app: FastifyInstance, opts: SpeechRoutesOptions) {
  const maxChars = opts.maxInputChars ?? 20000;
  const maxBytes = opts.maxUploadBytes ?? 200 * 1024 * 1024;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 16 } });

  app.post("/v1/audio/speech", async (req, reply) => {
    try {
      const body = parseSpeechBody(req.body, maxChars);
      const tts = await opts.getTts(body.model);
      const signal = disconnectSignal(req, reply);
      return body.stream_format === "sse" ? await speakSse(reply, tts, body, signal) : await speakWhole(reply, tts, body, signal);
    } catch (e) {
      return sendError(reply, e);
    }
  });

  app.post("/v1/audio/diarize", async (req, reply) => {
    try {
      if (!opts.getDiarizer) throw new HearthError("model_not_found", "no diarization model is served", { hint: "start the server with one" });
      if (!req.isMultipart()) throw bad("expected a multipart/form-data body", "send the audio as the `file` field");
      const fields: Record<string, string> = {};
      let file: Buffer | undefined;
      for await (const part of req.parts()) {
        if (part.type === "file") {
          if (part.fieldname !== "file") { await part.toBuffer(); continue; }
          try {
            file = await part.toBuffer();
          } catch {
            throw bad(`the audio file is larger than ${(maxBytes / 2 ** 20).toFixed(0)} MiB`, "send a shorter recording");
          }
        } else {
          fields[part.fieldname] = String(part.value);
        }
      }
      if (!file) throw bad("no `file` field in the form", "attach the audio as `file`");
      if (!fields.model) throw bad("no `model` field in the form", "name the diarization model to use");
      let numSpeakers: number | undefined;
      if (fields.num_speakers !== undefined && fields.num_speakers !== "") {
        numSpeakers = Number(fields.num_speakers);
        if (!Number.isInteger(numSpeakers) || numSpeakers < 1 || numSpeakers > 100) {
          throw bad(`num_speakers "${fields.num_speakers}" is not a whole number from 1 to 100`, "leave it out to let the model decide");
        }
      }
      const diarizer = await opts.getDiarizer(fields.model);
      const r = await diarizer.diarize(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), { numSpeakers, signal: disconnectSignal(req, reply) });
      return reply.send({
        model: fields.model,
        num_speakers: new Set(r.segments.map((s) => s.speaker)).size,
        segments: r.segments.map((s) => ({ start: s.startMs / 1000, end: s.endMs / 1000, speaker: s.speaker })),
        profile: r.profile,
      });
    } catch (e) {
      return sendError(reply, e);
    }
  });
}
