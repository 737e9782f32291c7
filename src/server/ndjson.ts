// Newline-delimited JSON, the way Ollama streams: one object per line, no terminator. The same
// backpressure and disconnect handling as the SSE stream it extends.
import type { FastifyReply } from "fastify";
import { SseStream } from "./sse.ts";
import { toDialectError } from "./errors.ts";

export class NdjsonStream extends SseStream {
  override start(reply: FastifyReply) {
    return reply
      .header("content-type", "application/x-ndjson")
      .header("cache-control", "no-cache")
      .header("x-accel-buffering", "no")
      .send(this.stream);
  }

  override async send(data: unknown): Promise<void> {
    await this.write(`${JSON.stringify(data)}\n`);
  }

  override async done(): Promise<void> {
    this.end();
  }

  /** A failure after the headers went out: Ollama's clients raise an `{error}` line. */
  override async fail(e: unknown): Promise<void> {
    if (!this.closed) await this.send(toDialectError(e, "ollama").body);
    this.end();
  }
}
