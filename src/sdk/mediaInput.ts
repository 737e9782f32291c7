// Where media come from in the SDK: a file path (with `~`), raw bytes, or a data: URI. Remote URLs
// are refused unless the caller allows them (the server does not, by default: it must not fetch
// arbitrary addresses on a client's behalf).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { HearthError } from "../errors/HearthError.ts";
import { expandHome } from "../config/env.ts";

/** A file path, a `data:` URI, bytes, or (when allowed) an http(s) URL. */
export type MediaSource = string | Uint8Array | ArrayBuffer;

export interface MediaBytes {
  data: Uint8Array;
  /** from the data: URI or the file extension, when known */
  mimeType?: string;
  /** the file name or URL, for messages */
  origin: string;
}

/** How media given by path are read. */
export interface MediaInputOptions {
  /** fetch http(s) URLs (default false) */
  allowRemote?: boolean;
  /** refuse larger inputs (default 512 MiB) */
  maxBytes?: number;
}

const MIME_BY_EXT: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".avif": "image/avif",
  ".heic": "image/heic",
  ".bmp": "image/bmp",
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
  ".flac": "audio/flac",
  ".ogg": "audio/ogg",
  ".oga": "audio/ogg",
  ".opus": "audio/ogg",
  ".m4a": "audio/mp4",
};

export function mimeTypeForPath(p: string): string | undefined {
  return MIME_BY_EXT[path.extname(p).toLowerCase()];
}

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

function tooLarge(n: number, max: number, origin: string) {
  return new HearthError(
    "unsupported_media",
    `${origin} is ${(n / 2 ** 20).toFixed(0)} MiB, more than the limit of ${(max / 2 ** 20).toFixed(0)} MiB`,
    {
      hint: "give a smaller file",
    },
  );
}

/** Parses `data:[mime][;base64],payload`. */
export function parseDataUri(uri: string): { data: Uint8Array; mimeType?: string } {
  const comma = uri.indexOf(",");
  if (!uri.startsWith("data:") || comma < 0) {
    throw new HearthError("bad_input", "malformed data: URI", { hint: "use data:<mime>;base64,<bytes>" });
  }
  const meta = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  const base64 = meta.endsWith(";base64");
  const mimeType = (base64 ? meta.slice(0, -7) : meta).split(";")[0] || undefined;
  const data = base64 ? Buffer.from(payload, "base64") : Buffer.from(decodeURIComponent(payload), "utf8");
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mimeType };
}

export async function readMediaSource(source: MediaSource, options: MediaInputOptions = {}): Promise<MediaBytes> {
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (source instanceof Uint8Array) {
    if (source.length > max) throw tooLarge(source.length, max, "the input");
    return { data: source, origin: "the input" };
  }
  if (source.startsWith("data:")) {
    const { data, mimeType } = parseDataUri(source);
    if (data.length > max) throw tooLarge(data.length, max, "the data: URI");
    return { data, mimeType, origin: "the data: URI" };
  }
  if (/^https?:\/\//i.test(source)) {
    if (!options.allowRemote) {
      throw new HearthError("bad_input", `remote media URLs are not fetched: ${source}`, {
        hint: "send the bytes as a data: URI, or enable remote media on the server (--allow-remote-media)",
      });
    }
    const res = await fetch(source).catch((e) => {
      throw new HearthError("bad_input", `cannot fetch ${source}: ${e instanceof Error ? e.message : e}`, { hint: "check the URL" });
    });
    if (!res.ok) throw new HearthError("bad_input", `cannot fetch ${source}: HTTP ${res.status}`, { hint: "check the URL" });
    const length = Number(res.headers.get("content-length") ?? 0);
    if (length > max) throw tooLarge(length, max, source);
    const data = new Uint8Array(await res.arrayBuffer());
    if (data.length > max) throw tooLarge(data.length, max, source);
    return { data, mimeType: res.headers.get("content-type")?.split(";")[0] || undefined, origin: source };
  }
  const file = path.resolve(expandHome(source.startsWith("file://") ? decodeURIComponent(new URL(source).pathname) : source));
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HearthError("bad_input", code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file}: ${(e as Error).message}`, {
      hint: "check the path",
    });
  }
  if (data.length > max) throw tooLarge(data.length, max, file);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mimeType: mimeTypeForPath(file), origin: file };
}
