// The streamed reply of every generation route, whatever its dialect: the engine's events made
// regular (textStream), the first one awaited before any header goes out (an engine that refuses
// the request is then a proper error reply), the dialect's writer for the rest, and the request
// log told the token counts when it ends.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { TaskRequest } from "../model/task.ts";
import type { GenerationResult } from "../model/tasks/text.ts";
import type { Lease } from "./models.ts";
import type { ServerMetrics } from "./metrics.ts";
import type { SseStream } from "./sse.ts";
import { runOnLease } from "./generation.ts";
import { noteRequest } from "./requestNote.ts";
import { textStream, type TextStreamEvent } from "./textStream.ts";

/** Writes a dialect's stream; resolves with the result, or undefined when it failed. */
export type StreamWriter<S extends SseStream> = (
  out: S,
  events: AsyncGenerator<TextStreamEvent>,
  first: IteratorResult<TextStreamEvent>,
) => Promise<GenerationResult | undefined>;

export interface StreamJob {
  req: FastifyRequest;
  reply: FastifyReply;
  lease: Lease;
  request: TaskRequest;
  signal: AbortSignal;
  metrics: ServerMetrics;
}

export async function streamReply<S extends SseStream>(job: StreamJob, out: S, write: StreamWriter<S>) {
  const events = textStream(runOnLease(job.lease, job.request, job.signal, job.metrics));
  const first = await events.next();
  void write(out, events, first).then((r) => {
    if (r) noteRequest(job.req, { promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens });
  });
  return out.start(job.reply);
}
