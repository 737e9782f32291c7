// hearth's Embedder as an AI SDK embedding model (specification v4), for embed and embedMany.
import type { EmbeddingModelV4, EmbeddingModelV4CallOptions, EmbeddingModelV4Result } from "@ai-sdk/provider";
import type { Embedder } from "../sdk/Embedder.ts";
import { HearthError } from "../errors/HearthError.ts";

/** An `Embedder` as an AI SDK embedding model (specification v4); get one from `hearth.embeddingModel(ref)`. */
export class HearthEmbeddingModel implements EmbeddingModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "hearth";
  /** one call embeds the whole batch */
  readonly maxEmbeddingsPerCall = 256;
  /** calls queue on the model's sequences; running them side by side buys nothing */
  readonly supportsParallelCalls = false;

  constructor(
    readonly modelId: string,
    private readonly model: () => Promise<Embedder>,
  ) {}

  async doEmbed(call: EmbeddingModelV4CallOptions): Promise<EmbeddingModelV4Result> {
    const embedder = await this.model();
    const warnings: EmbeddingModelV4Result["warnings"] = [];
    if (call.dimensions !== undefined && call.dimensions !== embedder.dimensions) {
      warnings.push({ type: "unsupported", feature: "dimensions", details: `the model's vectors have ${embedder.dimensions} dimensions` });
    }
    try {
      const r = await embedder.embed(call.values, { signal: call.abortSignal });
      const profile = Object.fromEntries(Object.entries(r.profile).filter(([, v]) => v !== undefined));
      return {
        embeddings: r.vectors,
        usage: { tokens: r.usage.promptTokens },
        providerMetadata: { hearth: { ...profile, engine: embedder.info.backend, device: embedder.info.device } },
        warnings,
      };
    } catch (e) {
      throw call.abortSignal?.aborted && e instanceof HearthError && e.code === "aborted" ? call.abortSignal.reason : e;
    }
  }
}
