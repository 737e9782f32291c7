// POST /v1/messages and /v1/messages/count_tokens: Anthropic's Messages API over the same model
// leases, generation and text stream as chat completions; errors in Anthropic's shape.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { countTokensSchema, messagesSchema } from "../schemas/messages.ts";
import { toChatRequest, type MessagesBody } from "../anthropic/request.ts";
import { message, streamMessage } from "../anthropic/result.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runOnLease, runToResult } from "../generation.ts";
import { SseStream } from "../sse.ts";
import { textStream } from "../textStream.ts";

const messageId = () => `msg_${randomBytes(12).toString("hex")}`;

export async function messagesRoutes(app: FastifyInstance, ctx: RouteContext) {
  app.post("/v1/messages", { schema: messagesSchema }, async (req, reply) => {
    const body = req.body as MessagesBody;
    noteRequest(req, { model: body.model });
    const { request, showThinking } = await toChatRequest(body);
    const signal = disconnectSignal(reply);
    const lease = await ctx.manager.acquire(body.model, "chat", signal);
    const id = messageId();
    if (!body.stream) {
      const result = await runToResult(lease, request, signal, ctx.metrics);
      noteRequest(req, { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens });
      return reply.send(message(id, body.model, result, showThinking));
    }
    const events = textStream(runOnLease(lease, request, signal, ctx.metrics));
    // the first event decides the status: an engine that refuses the request is a proper error reply
    const first = await events.next();
    const sse = new SseStream(signal);
    void streamMessage(sse, events, first, { id, model: body.model, showThinking }).then((r) => {
      if (r) noteRequest(req, { promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens });
    });
    return sse.start(reply);
  });

  app.post("/v1/messages/count_tokens", { schema: countTokensSchema }, async (req, reply) => {
    const body = req.body as MessagesBody;
    noteRequest(req, { model: body.model });
    const { request } = await toChatRequest({ ...body, max_tokens: 1 });
    const signal = disconnectSignal(reply);
    const lease = await ctx.manager.acquire(body.model, "chat", signal);
    const r = await runToResult(lease, { task: "render", messages: request.messages, tools: request.tools }, signal, ctx.metrics);
    return reply.send({ input_tokens: r.tokens });
  });
}
