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
import { runToResult } from "../generation.ts";
import { SseStream } from "../sse.ts";
import { streamReply } from "../streamReply.ts";

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
    const meta = { id, model: body.model, showThinking };
    return streamReply({ req, reply, lease, request, signal, metrics: ctx.metrics }, new SseStream(signal), (sse, events, first) =>
      streamMessage(sse, events, first, meta),
    );
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
