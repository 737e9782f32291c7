// Downloads one file into a partial file with HTTP Range resume, then checks it against the hub's
// hash (LFS sha256, or the git blob sha1 for small files) before moving it into place. The hash is
// computed as the bytes arrive (after reading back what a resume starts from), so verifying a
// multi-gigabyte file costs no second pass over the disk. A cut
// connection resumes from the bytes already on disk; a file whose hash is wrong is fetched again
// from the start; an abort leaves the partial file for the next run.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, truncateSync, unlinkSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { HearthError } from "../errors/HearthError.ts";
import { abortError, backoffMs, sleep } from "./retry.ts";

export interface DownloadTarget {
  url: string;
  /** where the verified file ends up */
  dest: string;
  /** where bytes collect until verified */
  partial: string;
  size: number;
  sha256?: string;
  gitOid?: string;
}

export interface DownloadOptions {
  fetch: typeof fetch;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** bytes written this call (negative when a corrupt partial is thrown away) */
  onBytes?: (n: number) => void;
  /** a resumable failure or a hash mismatch, before trying again */
  onRetry?: (reason: string) => void;
  /** tries for cut connections and bad hashes; default 5 */
  attempts?: number;
}

export interface DownloadResult {
  /** bytes that came over the network in this call */
  fetched: number;
  /** bytes found in the partial file and kept */
  resumedFrom: number;
}

/** The running hash of the bytes in the partial file. */
class PartialHash {
  private h = createHash("sha256");
  bytes = 0;
  constructor(private readonly t: DownloadTarget) {
    this.reset();
  }
  get wanted(): boolean {
    return !!(this.t.sha256 || this.t.gitOid);
  }
  reset(): void {
    this.h = createHash(this.t.sha256 ? "sha256" : "sha1");
    if (!this.t.sha256 && this.t.gitOid) this.h.update(`blob ${this.t.size}\0`);
    this.bytes = 0;
  }
  update(chunk: Uint8Array): void {
    this.h.update(chunk);
    this.bytes += chunk.byteLength;
  }
  /** Re-reads the partial file when the running hash does not cover exactly its bytes. */
  async syncWith(file: string): Promise<void> {
    const size = sizeOf(file);
    if (size === this.bytes) return;
    this.reset();
    if (size > 0) for await (const chunk of createReadStream(file)) this.update(chunk as Buffer);
  }
  matches(): boolean {
    if (!this.wanted) return true;
    return this.h.digest("hex") === (this.t.sha256 ?? this.t.gitOid)!.toLowerCase();
  }
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

export async function downloadVerified(t: DownloadTarget, o: DownloadOptions): Promise<DownloadResult> {
  mkdirSync(path.dirname(t.partial), { recursive: true });
  const attempts = o.attempts ?? 5;
  const initial = sizeOf(t.partial);
  let fetched = 0;
  let failures = 0;
  const hash = new PartialHash(t);
  for (;;) {
    if (o.signal?.aborted) throw abortError();
    let have = sizeOf(t.partial);
    if (have > t.size) {
      truncateSync(t.partial, 0);
      o.onBytes?.(-have);
      have = 0;
    }
    if (hash.wanted) await hash.syncWith(t.partial);
    if (have < t.size) {
      const progressBefore = fetched;
      try {
        await fetchRange(t, o, have, {
          restart: () => hash.reset(),
          chunk: (c) => {
            fetched += c.byteLength;
            if (hash.wanted) hash.update(c);
          },
        });
      } catch (e) {
        if (e instanceof HearthError && (e.code === "aborted" || e.code === "model_not_found" || e.code === "unauthorized")) throw e;
        if (o.signal?.aborted) throw abortError();
        if (++failures >= attempts) {
          throw new HearthError("download_failed", `download of ${path.basename(t.dest)} kept failing: ${reason(e)}`, {
            hint: "check the network and run the pull again; it resumes where it stopped",
            cause: e,
          });
        }
        o.onRetry?.(`${path.basename(t.dest)}: ${reason(e)}; resuming at ${sizeOf(t.partial)} bytes`);
        // a connection that delivered bytes before it dropped earns a quick retry; one that gives
        // nothing backs off
        if (fetched === progressBefore) await sleep(backoffMs(failures, { baseDelayMs: 250 }), o.signal);
        continue;
      }
      if (sizeOf(t.partial) < t.size) continue; // the server ended early: resume
    }
    if (hash.wanted) await hash.syncWith(t.partial);
    if (sizeOf(t.partial) === t.size && hash.matches()) break;
    const bad = sizeOf(t.partial);
    unlinkSync(t.partial);
    hash.reset();
    o.onBytes?.(-bad);
    if (++failures >= attempts) {
      throw new HearthError("checksum_mismatch", `${path.basename(t.dest)} failed its checksum ${failures} times`, {
        hint: "the hub or a proxy is corrupting it; try again later",
      });
    }
    o.onRetry?.(`${path.basename(t.dest)}: checksum mismatch, fetching it again`);
  }
  mkdirSync(path.dirname(t.dest), { recursive: true });
  renameSync(t.partial, t.dest);
  return { fetched, resumedFrom: Math.min(initial, t.size) };
}

function reason(e: unknown): string {
  if (e instanceof HearthError) return e.message;
  if (e instanceof Error) return e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message;
  return String(e);
}

interface ChunkSink {
  /** the server sends the file from its start: the partial is being overwritten */
  restart(): void;
  /** a chunk written to the partial file */
  chunk(c: Uint8Array): void;
}

/** Appends bytes from `from` on to the partial file, reporting each chunk once written (a cut keeps them). */
async function fetchRange(t: DownloadTarget, o: DownloadOptions, from: number, sink: ChunkSink): Promise<void> {
  const headers: Record<string, string> = { ...o.headers, "Accept-Encoding": "identity" };
  if (from > 0) headers.Range = `bytes=${from}-`;
  const res = await o.fetch(t.url, { headers, signal: o.signal });
  if (res.status === 404)
    throw new HearthError("model_not_found", `${t.url} is gone from the hub`, { hint: "the repo changed; run the pull again" });
  if (res.status === 401 || res.status === 403)
    throw new HearthError("unauthorized", `the hub refused ${t.url} (HTTP ${res.status})`, { hint: "set HF_TOKEN" });
  if (res.status === 416) {
    // our partial is not a prefix the server knows: start over
    await res.body?.cancel();
    truncateSync(t.partial, 0);
    o.onBytes?.(-from);
    throw new Error("range not satisfiable");
  }
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const append = from > 0 && res.status === 206;
  if (!append) {
    sink.restart();
    // the server ignored Range and sends the whole file
    if (from > 0) o.onBytes?.(-from);
  }
  const out = createWriteStream(t.partial, { flags: append ? "a" : "w" });
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await once(out, "drain");
      sink.chunk(chunk);
      o.onBytes?.(chunk.byteLength);
    }
  } catch (e) {
    if (o.signal?.aborted) {
      await closeStream(out);
      throw abortError();
    }
    await closeStream(out);
    throw e;
  }
  await closeStream(out);
}

async function closeStream(out: ReturnType<typeof createWriteStream>): Promise<void> {
  if (out.closed) return;
  out.end();
  await once(out, "close");
}
