// POST /v1/responses: OpenAI's Responses API over the same model leases, generation and text
// stream as chat completions. Responses are not stored (store is always false).
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { responsesSchema } from "../schemas/responses.ts";
import { toChatRequest, type ResponsesBody } from "../responses/request.ts";
import { newResponseMeta, responseObject, streamResponse } from "../responses/result.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runToResult } from "../generation.ts";
import { SseStream } from "../sse.ts";
import { streamReply } from "../streamReply.ts";

export async function responsesRoutes(app: FastifyInstance, ctx: RouteContext) {
  app.post("/v1/responses", { schema: responsesSchema }, async (req, reply) => {
    const body = req.body as ResponsesBody;
    noteRequest(req, { model: body.model });
    const request = await toChatRequest(body, { allowRemoteMedia: ctx.allowRemoteMedia });
    const signal = disconnectSignal(reply);
    const lease = await ctx.manager.acquire(body.model, "chat", signal);
    const meta = newResponseMeta(body);
    if (!body.stream) {
      const result = await runToResult(lease, request, signal, ctx.metrics);
      noteRequest(req, { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens });
      return reply.send(responseObject(meta, result));
    }
    return streamReply({ req, reply, lease, request, signal, metrics: ctx.metrics }, new SseStream(signal), (sse, events, first) =>
      streamResponse(sse, events, first, meta),
    );
  });
}
