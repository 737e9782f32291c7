// POST /v1/audio/transcriptions, shaped like OpenAI's: multipart `file`, `model`, `language`,
// `prompt`, `response_format` (json | text | srt | vtt | verbose_json). The model runs the `asr` task
// through the scheduler like any other; errors and disconnects are handled as on every route.
import type { FastifyInstance } from "fastify";
import multipart from "@fastify/multipart";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runToResult } from "../generation.ts";
import { formLimits, readForm } from "../multipartForm.ts";
import { transcriptionSchema } from "../schemas/audio.ts";
import { formatTranscript, type ResponseFormat } from "./transcriptFormats.ts";

export interface AudioRoutesOptions {
  /** largest accepted upload (default 200 MiB) */
  maxUploadBytes?: number;
}

interface TranscriptionBody {
  model: string;
  file: Buffer;
  language?: string;
  prompt?: string;
  response_format?: ResponseFormat | "";
}

export async function audioRoutes(app: FastifyInstance, ctx: RouteContext & AudioRoutesOptions) {
  const maxBytes = ctx.maxUploadBytes ?? 200 * 1024 * 1024;
  await app.register(multipart, { limits: formLimits(maxBytes) });

  app.post(
    "/v1/audio/transcriptions",
    {
      schema: transcriptionSchema,
      preValidation: readForm({
        files: { file: "file" },
        maxFileBytes: maxBytes,
        multipartOnly: { hint: "send the audio as the `file` field" },
      }),
    },
    async (req, reply) => {
      const body = req.body as TranscriptionBody;
      noteRequest(req, { model: body.model });
      const signal = disconnectSignal(reply);
      const lease = await ctx.manager.acquire(body.model, "asr", signal);
      const audio = new Uint8Array(body.file.buffer, body.file.byteOffset, body.file.byteLength);
      // silence is cut before recognition (voice activity detection), as the SDK does by default
      const result = await runToResult(
        lease,
        { task: "asr", audio, language: body.language || undefined, prompt: body.prompt || undefined, vad: true },
        signal,
        ctx.metrics,
      );
      const { body: out, contentType } = formatTranscript(result, body.response_format || "json");
      return reply.type(contentType).send(out);
    },
  );
}
