// Embeddings and reranking: one vector per text, one score per document (in input order).
import type { LlamaEmbeddingContext, LlamaRankingContext } from "node-llama-cpp";
import type { EmbedRequest, EmbedResult, RerankRequest, RerankResult } from "../../model/tasks/text.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { abortedError, engineError } from "./engineErrors.ts";

function checkTexts(texts: unknown, what: string): asserts texts is string[] {
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) {
    throw new HearthError("bad_input", `${what} must be a list of strings`);
  }
}

function tooLong(n: number, size: number, what: string): HearthError {
  return new HearthError("context_exceeded", `${what} is ${n} tokens but the context holds ${size}`, {
    hint: "shorten or split the text, or load the model with a larger context size",
  });
}

function unit(v: readonly number[]): number[] {
  const norm = Math.hypot(...v);
  return norm > 0 ? v.map((x) => x / norm) : [...v];
}

export async function runEmbed(
  ctx: LlamaEmbeddingContext,
  contextSize: number,
  req: EmbedRequest,
  device: string,
  signal?: AbortSignal,
): Promise<EmbedResult> {
  checkTexts(req.texts, "texts to embed");
  const t0 = performance.now();
  const lengths = req.texts.map((t, i) => {
    const n = ctx.calculateInputLength(t);
    if (n > contextSize) throw tooLong(n, contextSize, `text ${i + 1}`);
    return n;
  });
  const vectors: number[][] = [];
  for (const text of req.texts) {
    if (signal?.aborted) throw abortedError();
    try {
      const { vector } = await ctx.getEmbeddingFor(text);
      vectors.push(req.normalize === false ? [...vector] : unit(vector));
    } catch (e) {
      throw engineError(e, "embed");
    }
  }
  const promptTokens = lengths.reduce((a, b) => a + b, 0);
  const totalMs = performance.now() - t0;
  return {
    vectors,
    usage: { promptTokens },
    profile: { totalMs, promptTokens, prefillTokensPerSec: totalMs > 0 ? (promptTokens / totalMs) * 1000 : undefined, device },
  };
}

export async function runRerank(ctx: LlamaRankingContext, req: RerankRequest, device: string, signal?: AbortSignal): Promise<RerankResult> {
  if (typeof req.query !== "string") throw new HearthError("bad_input", "the query must be a string");
  checkTexts(req.documents, "documents");
  const t0 = performance.now();
  let promptTokens = 0;
  req.documents.forEach((d, i) => {
    const n = ctx.calculateInputLength(req.query, d);
    if (n > ctx.contextSize) throw tooLong(n, ctx.contextSize, `the query with document ${i + 1}`);
    promptTokens += n;
  });
  const scores: number[] = [];
  for (const d of req.documents) {
    if (signal?.aborted) throw abortedError();
    try {
      scores.push(await ctx.rank(req.query, d));
    } catch (e) {
      throw engineError(e, "rerank");
    }
  }
  const totalMs = performance.now() - t0;
  return {
    scores,
    usage: { promptTokens },
    profile: { totalMs, promptTokens, prefillTokensPerSec: totalMs > 0 ? (promptTokens / totalMs) * 1000 : undefined, device },
  };
}
