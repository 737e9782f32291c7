// A client that goes away stops its request at once: the engine is told through this signal and
// the request's sequence and slot are freed as soon as the engine stops.
import type { FastifyReply } from "fastify";

/** An AbortSignal that fires when the response's connection closes before the answer was finished. */
export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}
