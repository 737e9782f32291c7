// Server-sent events the way OpenAI streams: `data: <json>\n\n` per chunk, `data: [DONE]\n\n` last.
// Written into a PassThrough that Fastify sends, so hooks (CORS, logging, metrics) still apply and
// a slow reader applies backpressure instead of growing memory.
import { PassThrough } from "node:stream";
import type { FastifyReply } from "fastify";
import { toOpenAIError } from "./errors.ts";

export class SseStream {
  readonly stream = new PassThrough();

  constructor(private readonly signal: AbortSignal) {}

  /** Sends the stream as the reply with SSE headers. */
  start(reply: FastifyReply) {
    return reply
      .header("content-type", "text/event-stream; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("x-accel-buffering", "no")
      .send(this.stream);
  }

  get closed(): boolean {
    return this.stream.destroyed || this.stream.writableEnded || this.signal.aborted;
  }

  /** Writes one chunk; resolves when it may write the next (waits while the client is slow). */
  async send(data: unknown): Promise<void> {
    await this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Writes one named event (`event: <name>`), as the Anthropic and Responses streams carry them. */
  async sendEvent(event: string, data: unknown): Promise<void> {
    await this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  async done(): Promise<void> {
    await this.write("data: [DONE]\n\n");
    if (!this.stream.destroyed) this.stream.end();
  }

  /** A failure after the headers went out: OpenAI clients read an `error` event and raise it; the
   * stream then ends without [DONE]. `fields` go on the event too (a typed stream's `type`). */
  async fail(e: unknown, fields: Record<string, unknown> = {}): Promise<void> {
    if (!this.closed) await this.send({ ...fields, ...toOpenAIError(e).body });
    this.end();
  }

  /** Ends the stream without [DONE] (the client is gone or the server failed). */
  end() {
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  protected write(text: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.stream.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("close", done);
        this.signal.removeEventListener("abort", done);
        resolve();
      };
      this.stream.once("drain", done);
      this.stream.once("close", done);
      this.signal.addEventListener("abort", done, { once: true });
    });
  }
}
