// Reranking: `Reranker.load(ref)`, then `reranker.rank(query, documents)`: one relevance score per
// document, in the order the documents were given (sort them yourself).
import type { LoadedModel } from "../backends/types.ts";
import type { RerankResult } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import { loadTextModel } from "./LLM.ts";
import { finalResult } from "./generationStream.ts";
import type { LoadModelOptions, ModelHandleInfo } from "./types.ts";

export type { RerankResult };

/** Relevance ranking (llama.cpp reranker models): `Reranker.load(ref)`, then `rank(query, documents)`. */
export class Reranker {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a GGUF reranker: a path, an alias or a store name (pulled on first use). */
  static async load(ref: string, options: LoadModelOptions = {}): Promise<Reranker> {
    const model = await loadTextModel(ref, "reranker", options);
    return new Reranker(model, { ...model.info, ref });
  }

  /** One relevance score per document, in the order given (higher is more relevant). */
  async rank(query: string, documents: string[], options: { signal?: AbortSignal } = {}): Promise<RerankResult> {
    if (typeof query !== "string" || !query) throw new HearthError("bad_input", "the query is empty", { hint: "give a query text" });
    if (!Array.isArray(documents) || documents.length === 0)
      throw new HearthError("bad_input", "no documents to rank", { hint: "give one or more documents" });
    return finalResult(this.model.run({ task: "rerank", query, documents }, options.signal), "rerank");
  }

  /** Frees the model. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using reranker = await Reranker.load(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
