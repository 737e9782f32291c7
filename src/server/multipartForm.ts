// Multipart uploads (audio, images) read into `req.body` before the route's schema validates it:
// text fields as strings, the route's file fields as Buffers, other files read and dropped. A form
// the parser cannot read is the client's error (400 in OpenAI's shape), never a 500; a file over
// the upload limit is a 413.
import type { FastifyRequest } from "fastify";
import { HearthError, isHearthError } from "../errors/HearthError.ts";

export interface FormOptions {
  /** file field -> the body key it lands under (e.g. { file: "file" }, or { image: "image", file: "image" }) */
  files: Record<string, string>;
  /** largest file accepted, bytes */
  maxFileBytes: number;
  /** say so when the body is not multipart; otherwise a JSON body passes on to the schema */
  multipartOnly?: { hint: string };
}

/** Fastify's limits for the forms (one file, a few text fields). */
export function formLimits(maxFileBytes: number) {
  return { fileSize: maxFileBytes, files: 1, fields: 16, parts: 64 };
}

/** A preValidation hook that reads the form into req.body. */
export function readForm(o: FormOptions) {
  return async (req: FastifyRequest) => {
    if (!req.isMultipart()) {
      if (o.multipartOnly) throw new HearthError("bad_input", "expected a multipart/form-data body", { hint: o.multipartOnly.hint });
      return;
    }
    const body: Record<string, unknown> = {};
    try {
      for await (const part of req.parts({ limits: formLimits(o.maxFileBytes) })) {
        if (part.type === "file") {
          const data = await part.toBuffer();
          const key = Object.hasOwn(o.files, part.fieldname) ? o.files[part.fieldname] : undefined;
          if (key) body[key] = data;
        } else {
          body[part.fieldname] = part.value;
        }
      }
    } catch (e) {
      throw formError(e, o.maxFileBytes);
    }
    req.body = body;
  };
}

function formError(e: unknown, maxFileBytes: number): unknown {
  if (isHearthError(e)) return e;
  const err = e as { code?: string; statusCode?: number; message?: string };
  if (err?.code === "FST_REQ_FILE_TOO_LARGE") return e; // 413, said as "request body is too large"
  const why =
    err?.code === "FST_FILES_LIMIT"
      ? "more than one file in the form"
      : err?.code === "FST_FIELDS_LIMIT" || err?.code === "FST_PARTS_LIMIT"
        ? "too many fields in the form"
        : `malformed multipart body: ${err?.message ?? String(e)}`;
  return new HearthError("bad_input", why, {
    hint: `send one file (at most ${(maxFileBytes / 2 ** 20).toFixed(0)} MiB) and the text fields as multipart/form-data`,
  });
}
