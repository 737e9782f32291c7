// POST /v1/chat/completions: OpenAI's chat API over the model manager, plain or streamed (SSE), with
// tool calls streamed as OpenAI streams them (a first delta with id and name, then the arguments in
// fragments as the model writes them).
import type { FastifyInstance } from "fastify";
import type { GenerationResult } from "../../model/tasks/text.ts";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { chatCompletionSchema } from "../schemas/chat.ts";
import { toChatRequest, type ChatCompletionBody } from "../openai/chatRequest.ts";
import { chatChunk, chatCompletion, chatUsageChunk, finishReasonOf, hearthFigures, newId, nowSec } from "../openai/responses.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runToResult } from "../generation.ts";
import { SseStream } from "../sse.ts";
import type { TextStreamEvent } from "../textStream.ts";
import { streamReply } from "../streamReply.ts";

export async function chatRoutes(app: FastifyInstance, ctx: RouteContext) {
  app.post("/v1/chat/completions", { schema: chatCompletionSchema }, async (req, reply) => {
    const body = req.body as ChatCompletionBody;
    noteRequest(req, { model: body.model });
    const request = await toChatRequest(body, { allowRemoteMedia: ctx.allowRemoteMedia });
    const signal = disconnectSignal(reply);
    const lease = await ctx.manager.acquire(body.model, "chat", signal);
    const id = newId("chatcmpl");
    const created = nowSec();

    if (!body.stream) {
      const result = await runToResult(lease, request, signal, ctx.metrics);
      noteRequest(req, { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens });
      return reply.send(chatCompletion(id, created, body.model, result));
    }

    const engine = { backend: lease.info.backend, device: lease.info.device };
    const meta = { id, created, model: body.model, withUsage: body.stream_options?.include_usage === true, engine };
    return streamReply({ req, reply, lease, request, signal, metrics: ctx.metrics }, new SseStream(signal), (sse, events, first) =>
      streamChat(sse, events, first, meta),
    );
  });
}

interface StreamMeta {
  id: string;
  created: number;
  model: string;
  withUsage: boolean;
  engine: { backend: string; device: string };
}

async function streamChat(
  sse: SseStream,
  events: AsyncGenerator<TextStreamEvent>,
  first: IteratorResult<TextStreamEvent>,
  m: StreamMeta,
): Promise<GenerationResult | undefined> {
  const chunk = (delta: Record<string, unknown>) => sse.send(chatChunk(m.id, m.created, m.model, delta, null, m.withUsage));
  let result: GenerationResult | undefined;
  try {
    await chunk({ role: "assistant", content: "" });
    for (let it = first; !it.done; it = await events.next()) {
      const e = it.value;
      if (e.type === "text") await chunk({ content: e.text });
      else if (e.type === "reasoning") await chunk({ reasoning_content: e.text });
      else if (e.type === "tool_start")
        await chunk({ tool_calls: [{ index: e.index, id: e.id, type: "function", function: { name: e.name, arguments: "" } }] });
      else if (e.type === "tool_args") await chunk({ tool_calls: [{ index: e.index, function: { arguments: e.text } }] });
      else if (e.type === "result") result = e.result;
    }
    if (!result) throw new Error("the engine ended without a result");
    // the last chunk also carries hearth's figures (time to first token, speeds, engine, device)
    const hearth = hearthFigures(result, m.engine);
    const finish = chatChunk(m.id, m.created, m.model, {}, finishReasonOf(result), m.withUsage);
    await sse.send(m.withUsage ? finish : { ...finish, hearth });
    if (m.withUsage) await sse.send({ ...chatUsageChunk(m.id, m.created, m.model, result), hearth });
    await sse.done();
    return result;
  } catch (e) {
    await sse.fail(e); // headers are gone: the error travels as an SSE event
    return undefined;
  } finally {
    await events.return(undefined);
  }
}
