// Ollama's API under /api, over the same model leases, generation and text stream as the OpenAI
// routes: chat and generate (NDJSON unless stream: false), embed and the older embeddings, tags,
// show, ps, pull (only with --allow-pull), delete (only with --allow-delete) and version. A model
// that is not installed is never pulled on the side: the answer says so and how to pull it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RouteContext } from "../context.ts";
import type { Lease } from "../models.ts";
import type { TaskName } from "../../model/task.ts";
import type { GenerationResult } from "../../model/tasks/text.ts";
import { HearthError, isHearthError } from "../../errors/HearthError.ts";
import { pullModel, type PullEvent } from "../../store/pull.ts";
import { removeModel } from "../../store/remove.ts";
import { noteRequest } from "../requestNote.ts";
import { badParam, withStatus } from "../errors.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runToResult } from "../generation.ts";
import { NdjsonStream } from "../ndjson.ts";
import { streamReply } from "../streamReply.ts";
import { installedFiles, servedCatalog } from "../catalog.ts";
import { factsOf } from "../modelFacts.ts";
import { embeddingFacts, truncateAndNormalize } from "../embeddingDimensions.ts";
import {
  chatSchema,
  deleteSchema,
  embeddingsSchema,
  embedSchema,
  generateSchema,
  listSchema,
  pullSchema,
  showSchema,
} from "../schemas/ollama.ts";
import { fromOllamaName, showsThinking, toChatRequest, toGenerateRequest, type ChatBody, type GenerateBody } from "../ollama/request.ts";
import { answer, streamAnswer, type OllamaMeta } from "../ollama/result.ts";
import { psEntry, show, tagEntry } from "../ollama/models.ts";

/** The Ollama API level hearth speaks (clients check it against their minimum). */
export const OLLAMA_API_VERSION = "0.12.0";

interface NameBody {
  model?: string;
  name?: string;
  stream?: boolean;
}

export async function ollamaRoutes(app: FastifyInstance, ctx: RouteContext) {
  /** hearth's name for an installed model, or Ollama's "not found, try pulling it first". */
  const installed = async (sent: string) => {
    const name = fromOllamaName(sent);
    const files = await installedFiles(ctx.manager, name);
    if (files) return { name, files };
    const how = ctx.allowPull
      ? `POST /api/pull {"model": "${sent}"}`
      : `hearth pull ${name} (or start the server with --allow-pull and use ollama pull)`;
    throw new HearthError("model_not_found", `model "${sent}" not found, try pulling it first`, {
      hint: `it is not in hearth's store: ${how}`,
    });
  };

  /** A lease on an installed model, and the ms spent waiting for it (Ollama's load_duration). */
  const lease = async (req: FastifyRequest, reply: FastifyReply, sent: string, task: TaskName) => {
    const { name } = await installed(sent);
    noteRequest(req, { model: name });
    const signal = disconnectSignal(reply);
    const t0 = performance.now();
    const l: Lease = await ctx.manager.acquire(name, task, signal);
    return { lease: l, signal, loadMs: performance.now() - t0 };
  };

  const generation = async (req: FastifyRequest, reply: FastifyReply, kind: "chat" | "generate") => {
    const startedAt = performance.now();
    const body = req.body as ChatBody & GenerateBody;
    const request = kind === "chat" ? await toChatRequest(body) : await toGenerateRequest(body);
    const empty = kind === "chat" ? !body.messages?.length : !body.prompt && !body.images?.length;
    const { lease: l, signal, loadMs } = await lease(req, reply, body.model, request.task);
    const meta: OllamaMeta = { model: body.model, kind, showThinking: showsThinking(body), startedAt, loadMs };
    if (empty) {
      // Ollama's way to load a model: no prompt, an answer with done_reason "load"
      l.release();
      const base = {
        model: body.model,
        created_at: new Date().toISOString(),
        ...(kind === "chat" ? { message: { role: "assistant", content: "" } } : { response: "" }),
      };
      return reply.send({ ...base, done: true, done_reason: "load" });
    }
    if (body.stream === false) {
      const result = (await runToResult(l, request, signal, ctx.metrics)) as GenerationResult;
      noteRequest(req, { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens });
      return reply.send(answer(meta, result));
    }
    return streamReply({ req, reply, lease: l, request, signal, metrics: ctx.metrics }, new NdjsonStream(signal), (out, events, first) =>
      streamAnswer(out, events, first, meta),
    );
  };

  app.post("/api/chat", { schema: chatSchema }, (req, reply) => generation(req, reply, "chat"));
  app.post("/api/generate", { schema: generateSchema }, (req, reply) => generation(req, reply, "generate"));

  const embed = async (req: FastifyRequest, reply: FastifyReply, texts: string[], dimensions?: number) => {
    const startedAt = performance.now();
    const body = req.body as { model: string };
    const empty = texts.findIndex((t) => t.length === 0);
    if (empty >= 0) throw badParam("input", `input[${empty}] is empty`, "send non-empty text");
    const { lease: l, signal, loadMs } = await lease(req, reply, body.model, "embed");
    let dims: number | undefined;
    if (dimensions !== undefined) {
      const facts = await embeddingFacts(l.files).catch((e) => {
        l.release();
        throw e;
      });
      if (dimensions !== facts.dimensions) {
        if (!facts.truncatable || (facts.dimensions !== undefined && dimensions > facts.dimensions)) {
          l.release();
          throw badParam("dimensions", `model "${body.model}" cannot give ${dimensions}-dimensional embeddings`, "omit dimensions");
        }
        dims = dimensions;
      }
    }
    const r = await runToResult(l, { task: "embed", texts, normalize: true }, signal, ctx.metrics);
    noteRequest(req, { promptTokens: r.usage.promptTokens });
    const vectors = dims ? r.vectors.map((v) => truncateAndNormalize(v, dims)) : r.vectors;
    return {
      vectors,
      timing: {
        total_duration: Math.round((performance.now() - startedAt) * 1e6),
        load_duration: Math.round(loadMs * 1e6),
        prompt_eval_count: r.usage.promptTokens,
      },
    };
  };

  app.post("/api/embed", { schema: embedSchema }, async (req, reply) => {
    const body = req.body as { model: string; input: string | string[]; dimensions?: number };
    const { vectors, timing } = await embed(req, reply, typeof body.input === "string" ? [body.input] : body.input, body.dimensions);
    return reply.send({ model: body.model, embeddings: vectors, ...timing });
  });

  app.post("/api/embeddings", { schema: embeddingsSchema }, async (req, reply) => {
    const body = req.body as { model: string; prompt: string };
    const { vectors } = await embed(req, reply, [body.prompt]);
    return reply.send({ embedding: vectors[0] });
  });

  app.get("/api/tags", { schema: listSchema("List installed models (Ollama API)") }, async () => {
    const models = [];
    for (const m of servedCatalog(ctx.manager)) {
      const files = await installedFiles(ctx.manager, m.id);
      if (files) models.push(tagEntry(m, files, await factsOf(files)));
    }
    return { models };
  });

  app.post("/api/show", { schema: showSchema }, async (req) => {
    const body = req.body as NameBody;
    const { files } = await installed(body.model ?? body.name!);
    return show(files, await factsOf(files));
  });

  app.get("/api/ps", { schema: listSchema("List loaded models (Ollama API)") }, async () => {
    const models = [];
    for (const s of ctx.manager.status()) {
      if (s.state !== "ready") continue;
      const files = await installedFiles(ctx.manager, s.id);
      if (files) models.push(psEntry(s, files, await factsOf(files), ctx.keepAliveSec ?? 300));
    }
    return { models };
  });

  app.get("/api/version", { schema: listSchema("The Ollama API version hearth speaks") }, async () => ({ version: OLLAMA_API_VERSION }));

  app.post("/api/pull", { schema: pullSchema }, async (req, reply) => {
    const body = req.body as NameBody;
    const sent = body.model ?? body.name!;
    const name = fromOllamaName(sent);
    if (!ctx.allowPull) {
      throw withStatus(
        new HearthError("bad_input", `pulling is turned off on this server`, {
          hint: `run hearth pull ${name}, or start the server with --allow-pull`,
        }),
        403,
      );
    }
    noteRequest(req, { model: name });
    const signal = disconnectSignal(reply);
    const lines: Record<string, unknown>[] = [{ status: "pulling manifest" }];
    let wake: (() => void) | undefined;
    const push = (l: Record<string, unknown>) => {
      lines.push(l);
      wake?.();
    };
    let quant = "";
    const onEvent = (e: PullEvent) => {
      if (e.type === "resolved") {
        quant = e.quant;
        push({ status: `pulling ${e.repo}:${e.quant}`, digest: `sha256:${e.commit}`, total: e.totalBytes, completed: 0 });
      } else if (e.type === "progress")
        push({ status: `pulling ${quant}`, digest: e.file ?? "", total: e.totalBytes, completed: e.doneBytes });
      else if (e.type === "waiting" || e.type === "retry") push({ status: e.message });
    };
    let finished = false;
    const pulling = pullModel(name, { signal, onEvent })
      .then(
        () => {
          push({ status: "verifying sha256 digest" });
          push({ status: "writing manifest" });
          push({ status: "success" });
        },
        (e: unknown) => {
          throw isHearthError(e) && e.code === "model_not_found" ? withStatus(e, 404) : e;
        },
      )
      .finally(() => {
        finished = true;
        wake?.();
      });
    if (body.stream === false) {
      await pulling;
      return reply.send({ status: "success" });
    }
    // a name the hub does not know is a proper error reply, not a stream that fails at once
    await Promise.race([pulling, new Promise<void>((resolve) => (wake = resolve))]);
    const out = new NdjsonStream(signal);
    void (async () => {
      try {
        let sent = 0;
        for (;;) {
          while (sent < lines.length) await out.send(lines[sent++]);
          if (finished) break;
          await new Promise<void>((resolve) => (wake = resolve));
        }
        await pulling;
        await out.done();
      } catch (e) {
        await out.fail(e);
      }
    })();
    return out.start(reply);
  });

  app.delete("/api/delete", { schema: deleteSchema }, async (req, reply) => {
    const body = req.body as NameBody;
    const sent = body.model ?? body.name!;
    const name = fromOllamaName(sent);
    if (!ctx.allowDelete) {
      throw withStatus(
        new HearthError("bad_input", "deleting models is turned off on this server", {
          hint: `run hearth rm ${name}, or start the server with --allow-delete`,
        }),
        403,
      );
    }
    if (ctx.manager.configuredNames().some((c) => c.id === name)) {
      throw badParam("model", `model "${sent}" was given to hearth serve, not pulled into the store`, "stop serving it instead");
    }
    noteRequest(req, { model: name });
    try {
      await removeModel(name);
    } catch (e) {
      throw isHearthError(e) && e.code === "model_not_found"
        ? new HearthError("model_not_found", `model "${sent}" not found`, { hint: "see GET /api/tags" })
        : e;
    }
    return reply.code(200).send();
  });
}
