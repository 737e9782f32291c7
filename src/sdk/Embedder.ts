// Embeddings: `Embedder.load(ref)`, then `embedder.embed(texts)`: one vector per text, unit length
// unless asked otherwise.
import type { LoadedModel } from "../backends/types.ts";
import type { EmbedResult } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import { loadTextModel } from "./LLM.ts";
import { finalResult } from "./generationStream.ts";
import type { LoadModelOptions, ModelHandleInfo } from "./types.ts";

export type { EmbedResult };

/** Options of `embedder.embed()`. */
export interface EmbedOptions {
  /** unit length (default true) */
  normalize?: boolean;
  signal?: AbortSignal;
}

/** Text embeddings (llama.cpp): `Embedder.load(ref)`, then `embed(texts)`. */
export class Embedder {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a GGUF embedding model: a path, an alias or a store name (pulled on first use). */
  static async load(ref: string, options: LoadModelOptions = {}): Promise<Embedder> {
    const model = await loadTextModel(ref, "embedder", options);
    return new Embedder(model, { ...model.info, ref });
  }

  /** Length of each vector. */
  get dimensions(): number {
    return Number(this.info.settings.embeddingLength ?? 0);
  }

  /** One vector per text, in input order (unit length unless `normalize: false`). */
  async embed(texts: string | string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    const list = typeof texts === "string" ? [texts] : texts;
    if (!Array.isArray(list) || list.length === 0)
      throw new HearthError("bad_input", "nothing to embed", { hint: "give a text or a list of texts" });
    return finalResult(this.model.run({ task: "embed", texts: list, normalize: options.normalize ?? true }, options.signal), "embed");
  }

  /** Frees the model. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using embedder = await Embedder.load(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
