// llama-server's utility routes that clients rely on: /tokenize, /detokenize, /apply-template and
// /props, on the same model leases as every other route (the engine's tokenize, detokenize and
// render tasks). Errors in OpenAI's shape, as llama-server answers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RouteContext } from "../context.ts";
import type { ChatCompletionBody } from "../openai/chatRequest.ts";
import { toChatRequest } from "../openai/chatRequest.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { noteRequest } from "../requestNote.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runToResult } from "../generation.ts";
import { factsOf } from "../modelFacts.ts";
import { applyTemplateSchema, detokenizeSchema, propsSchema, tokenizeSchema } from "../schemas/llamaServer.ts";

const BUILD = "hearth 0.1.0 (llama.cpp through node-llama-cpp 3.21.1)";

export async function llamaServerRoutes(app: FastifyInstance, ctx: RouteContext) {
  /** The model a request names, or the first text model the server was started with. */
  const modelFor = (named: string | undefined): string => {
    if (named) return named;
    const first = ctx.manager.configuredNames().find((c) => c.files.type === "llm" || c.files.type === "vlm");
    if (!first)
      throw new HearthError("model_not_found", "no text model is served here", {
        hint: "name one with `model`, or start hearth serve with a text model",
      });
    return first.id;
  };
  const lease = async (req: FastifyRequest, reply: FastifyReply, named: string | undefined) => {
    const model = modelFor(named);
    noteRequest(req, { model });
    const signal = disconnectSignal(reply);
    return { lease: await ctx.manager.acquire(model, "chat", signal), signal, model };
  };

  app.post("/tokenize", { schema: tokenizeSchema }, async (req, reply) => {
    const body = req.body as { content: string; add_special?: boolean; with_pieces?: boolean; model?: string };
    const { lease: l, signal } = await lease(req, reply, body.model);
    const { tokens } = await runToResult(
      l,
      { task: "tokenize", text: body.content, addSpecial: body.add_special ?? false },
      signal,
      ctx.metrics,
    );
    if (!body.with_pieces) return reply.send({ tokens });
    const { lease: again } = await lease(req, reply, body.model);
    const { pieces } = await runToResult(again, { task: "detokenize", tokens }, signal, ctx.metrics);
    return reply.send({ tokens: tokens.map((id, i) => ({ id, piece: pieces[i] })) });
  });

  app.post("/detokenize", { schema: detokenizeSchema }, async (req, reply) => {
    const body = req.body as { tokens: number[]; model?: string };
    const { lease: l, signal } = await lease(req, reply, body.model);
    const { text } = await runToResult(l, { task: "detokenize", tokens: body.tokens }, signal, ctx.metrics);
    return reply.send({ content: text });
  });

  app.post("/apply-template", { schema: applyTemplateSchema }, async (req, reply) => {
    const body = req.body as ChatCompletionBody;
    const chat = await toChatRequest({ ...body, model: modelFor(body.model) }, { allowRemoteMedia: false });
    const { lease: l, signal } = await lease(req, reply, body.model);
    const { prompt } = await runToResult(l, { task: "render", messages: chat.messages, tools: chat.tools }, signal, ctx.metrics);
    return reply.send({ prompt });
  });

  app.get("/props", { schema: propsSchema }, async (req, reply) => {
    const { model: named } = req.query as { model?: string };
    const { lease: l, model } = await lease(req, reply, named);
    try {
      const facts = await factsOf(l.files);
      const nCtx = l.info.contextSize ?? facts.contextLength ?? 0;
      return reply.send({
        default_generation_settings: { n_ctx: nCtx, model, params: { n_predict: -1, temperature: 0.8 } },
        total_slots: l.info.settings.parallel ?? 1,
        model_alias: model,
        model_path: l.files.primary,
        chat_template: facts.chatTemplate ?? "",
        modalities: { vision: facts.modalities.includes("image"), audio: facts.modalities.includes("audio") },
        n_ctx_train: facts.contextLength ?? 0,
        build_info: BUILD,
      });
    } finally {
      l.release();
    }
  });
}
