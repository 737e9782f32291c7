// POST /v1/audio/transcriptions, shaped like OpenAI's: multipart `file`, `model`, `language`,
// `prompt`, `response_format` (json | text | srt | vtt | verbose_json). A Fastify plugin the server
// mounts; which ASR model answers to which name is the server's business (opts.getAsr).
import type { FastifyInstance, FastifyReply } from "fastify";
import multipart from "@fastify/multipart";
import type { ASR } from "../../sdk/ASR.ts";
import { HearthError, httpStatusFor, isHearthError } from "../../errors/HearthError.ts";
import { formatTranscript, RESPONSE_FORMATS, type ResponseFormat } from "./transcriptFormats.ts";

export interface AudioRoutesOptions {
  /** the loaded ASR model for a requested model name; throws HearthError model_not_found when none */
  getAsr: (model: string) => Promise<ASR>;
  /** largest accepted upload (default 200 MiB) */
  maxUploadBytes?: number;
}

/** OpenAI-shaped error body with the status our error code maps to. */
export function sendError(reply: FastifyReply, e: unknown) {
  const err = isHearthError(e) ? e : new HearthError("internal", e instanceof Error ? e.message : String(e));
  const status = httpStatusFor(err.code);
  return reply.code(status).send({
    error: { message: err.line, type: status < 500 ? "invalid_request_error" : "server_error", code: err.code, param: null },
  });
}

export async function audioRoutes(app: FastifyInstance, opts: AudioRoutesOptions) {
  const maxBytes = opts.maxUploadBytes ?? 200 * 1024 * 1024;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 16 } });

  app.post("/v1/audio/transcriptions", async (req, reply) => {
    try {
      if (!req.isMultipart()) throw new HearthError("bad_input", "expected a multipart/form-data body", { hint: "send the audio as the `file` field" });
      const fields: Record<string, string> = {};
      let file: Buffer | undefined;
      for await (const part of req.parts()) {
        if (part.type === "file") {
          if (part.fieldname !== "file") { await part.toBuffer(); continue; }
          try {
            file = await part.toBuffer();
          } catch {
            throw new HearthError("bad_input", `the audio file is larger than ${(maxBytes / 2 ** 20).toFixed(0)} MiB`, { hint: "send a shorter recording" });
          }
        } else {
          fields[part.fieldname] = String(part.value);
        }
      }
      if (!file) throw new HearthError("bad_input", "no `file` field in the form", { hint: "attach the audio as `file`" });
      if (!fields.model) throw new HearthError("bad_input", "no `model` field in the form", { hint: "name the ASR model to use" });
      const format = (fields.response_format ?? "json") as ResponseFormat;
      if (!RESPONSE_FORMATS.includes(format)) {
        throw new HearthError("bad_input", `unknown response_format "${fields.response_format}"`, { hint: `use one of: ${RESPONSE_FORMATS.join(", ")}` });
      }
      const asr = await opts.getAsr(fields.model);
      const ac = new AbortController();
      req.raw.on("close", () => { if (!reply.sent) ac.abort(); });
      const result = await asr.transcribe(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), {
        language: fields.language || undefined,
        prompt: fields.prompt || undefined,
        signal: ac.signal,
      });
      const { body, contentType } = formatTranscript(result, format);
      return reply.type(contentType).send(body);
    } catch (e) {
      return sendError(reply, e);
    }
  });
}
