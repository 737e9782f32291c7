// Bounds the request bodies the server holds at once (queued and running requests keep theirs until
// they end). The per-model queue counts requests; this counts bytes, so a burst of small chat requests
// waits its turn while a burst of large images is refused with 429 before it can exhaust memory.
import type { FastifyInstance } from "fastify";
import { HearthError } from "../errors/HearthError.ts";
import { sendOpenAIError, withRetryAfter } from "./errors.ts";

export class RequestMemory {
  private held = 0;
  constructor(readonly limitBytes: number) {}

  get heldBytes(): number {
    return this.held;
  }

  /** Takes bytes for one request; undefined when they do not fit. */
  take(bytes: number): (() => void) | undefined {
    if (bytes > 0 && this.held + bytes > this.limitBytes && this.held > 0) return undefined;
    this.held += bytes;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.held -= bytes;
    };
  }
}

export function installRequestMemory(app: FastifyInstance, memory: RequestMemory) {
  app.addHook("onRequest", async (req, reply) => {
    const bytes = Number(req.headers["content-length"] ?? 0);
    const give = memory.take(Number.isFinite(bytes) ? bytes : 0);
    if (!give) {
      return sendOpenAIError(
        reply,
        withRetryAfter(
          new HearthError("queue_full", `the server holds ${Math.round(memory.heldBytes / 2 ** 20)} MiB of requests already`, {
            hint: "retry after the Retry-After seconds, send smaller media, or raise --request-memory",
          }),
          2,
        ),
      );
    }
    // the answer sent, or the client gone: either way the body is no longer held
    reply.raw.once("close", give);
  });
}
