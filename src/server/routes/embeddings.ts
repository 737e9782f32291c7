// POST /v1/embeddings (OpenAI: float or base64 vectors, `dimensions` for Matryoshka models) and
// POST /v1/rerank, also at /v1/reranking (results with index and relevance_score, best first).
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { embeddingsSchema, rerankSchema } from "../schemas/embeddings.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runToResult } from "../generation.ts";
import { badParam } from "../errors.ts";
import { newId } from "../openai/responses.ts";
import { embeddingFacts, truncateAndNormalize } from "../embeddingDimensions.ts";

interface EmbeddingsBody {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: "float" | "base64" | null;
  dimensions?: number | null;
}

interface RerankBody {
  model: string;
  query: string;
  documents: (string | { text: string })[];
  top_n?: number | null;
  return_documents?: boolean | null;
}

export async function embeddingRoutes(app: FastifyInstance, ctx: RouteContext) {
  app.post("/v1/embeddings", { schema: embeddingsSchema }, async (req, reply) => {
    const body = req.body as EmbeddingsBody;
    noteRequest(req, { model: body.model });
    const texts = typeof body.input === "string" ? [body.input] : body.input;
    if (!texts.every((t): t is string => typeof t === "string"))
      throw badParam("input", "token-id input is not supported", "send the input as text");
    const empty = texts.findIndex((t) => t.length === 0);
    if (empty >= 0) throw badParam("input", `input[${empty}] is empty`, "send non-empty text");
    const signal = disconnectSignal(reply);
    const lease = await ctx.manager.acquire(body.model, "embed", signal);
    let dims: number | undefined;
    try {
      if (body.dimensions != null) {
        const facts = await embeddingFacts(lease.files);
        if (facts.dimensions !== undefined && body.dimensions > facts.dimensions) {
          throw badParam(
            "dimensions",
            `dimensions=${body.dimensions} is more than the model's ${facts.dimensions}`,
            `ask for at most ${facts.dimensions}`,
          );
        }
        if (body.dimensions !== facts.dimensions) {
          if (!facts.truncatable) {
            throw badParam(
              "dimensions",
              `model "${body.model}" (${facts.architecture ?? "unknown architecture"}) does not support shortened embeddings`,
              "omit dimensions; only Matryoshka-trained models (Qwen3-Embedding, EmbeddingGemma, nomic-embed v1.5) allow it",
            );
          }
          dims = body.dimensions;
        }
      }
    } catch (e) {
      lease.release();
      throw e;
    }
    const result = await runToResult(lease, { task: "embed", texts, normalize: true }, signal, ctx.metrics);
    noteRequest(req, { promptTokens: result.usage.promptTokens });
    const base64 = body.encoding_format === "base64";
    return reply.send({
      object: "list",
      data: result.vectors.map((v, index) => {
        const vector = dims ? truncateAndNormalize(v, dims) : v;
        return { object: "embedding", index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector };
      }),
      model: body.model,
      usage: { prompt_tokens: result.usage.promptTokens, total_tokens: result.usage.promptTokens },
    });
  });

  const rerank = async (req: import("fastify").FastifyRequest, reply: import("fastify").FastifyReply) => {
    const body = req.body as RerankBody;
    noteRequest(req, { model: body.model });
    const documents = body.documents.map((d) => (typeof d === "string" ? d : d.text));
    const signal = disconnectSignal(reply);
    const lease = await ctx.manager.acquire(body.model, "rerank", signal);
    const result = await runToResult(lease, { task: "rerank", query: body.query, documents }, signal, ctx.metrics);
    noteRequest(req, { promptTokens: result.usage.promptTokens });
    const ranked = result.scores
      .map((relevance_score, index) => ({
        index,
        relevance_score,
        ...(body.return_documents ? { document: { text: documents[index] } } : {}),
      }))
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, body.top_n ?? documents.length);
    return reply.send({
      id: newId("rerank"),
      object: "list",
      model: body.model,
      results: ranked,
      usage: { prompt_tokens: result.usage.promptTokens, total_tokens: result.usage.promptTokens },
    });
  };
  app.post("/v1/rerank", { schema: rerankSchema }, rerank);
  app.post("/v1/reranking", { schema: { ...rerankSchema, summary: "Rerank documents (alias of /v1/rerank)" } }, rerank);
}
