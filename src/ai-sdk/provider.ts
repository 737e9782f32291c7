// The provider: `hearth("org/repo")` or `hearth.languageModel(llm)` for chat, `hearth.embeddingModel(ref)`
// for embeddings. A reference is loaded on first use (with the provider's load options) and kept
// until `dispose()`; an already loaded LLM, VLM or Embedder is used as it is (and stays the caller's).
import { NoSuchModelError, type ProviderV4 } from "@ai-sdk/provider";
import { Embedder } from "../sdk/Embedder.ts";
import { LLM } from "../sdk/LLM.ts";
import { VLM, type VLMLoadOptions } from "../sdk/VLM.ts";
import type { LoadModelOptions } from "../sdk/types.ts";
import { HearthEmbeddingModel } from "./embeddingModel.ts";
import { HearthLanguageModel, type HearthChatModel } from "./languageModel.ts";

/** Options of `createHearth()`. */
export interface HearthProviderSettings {
  /** load options for every model the provider loads by reference (device, threads, contextSize, onProgress...) */
  load?: LoadModelOptions;
}

/** Per-model options of `hearth.languageModel(ref, settings)`. */
export interface HearthLanguageModelSettings extends VLMLoadOptions {
  /** load the reference as a VLM (images and audio in messages); implied by `mmproj` */
  vision?: boolean;
}

/** The hearth provider: call it with a model reference for a language model. */
export interface HearthProvider extends ProviderV4 {
  (model: string | HearthChatModel, settings?: HearthLanguageModelSettings): HearthLanguageModel;
  languageModel(model: string | HearthChatModel, settings?: HearthLanguageModelSettings): HearthLanguageModel;
  embeddingModel(model: string | Embedder, settings?: LoadModelOptions): HearthEmbeddingModel;
  /** disposes the models this provider loaded by reference */
  dispose(): Promise<void>;
}

/** A provider with its own load options and its own loaded models. */
export function createHearth(settings: HearthProviderSettings = {}): HearthProvider {
  const loaded = new Map<string, Promise<{ dispose(): Promise<void> }>>();
  // a model loads once per reference and settings, on the first call that needs it
  const once =
    <T extends { dispose(): Promise<void> }>(key: string, load: () => Promise<T>): (() => Promise<T>) =>
    () => {
      let p = loaded.get(key) as Promise<T> | undefined;
      if (!p) {
        p = load();
        p.catch(() => loaded.delete(key)); // a failed load is tried again next time
        loaded.set(key, p);
      }
      return p;
    };
  const languageModel = (model: string | HearthChatModel, s: HearthLanguageModelSettings = {}) => {
    if (typeof model !== "string") return new HearthLanguageModel(model.info.ref, async () => model);
    const { vision, ...load } = { ...settings.load, ...s };
    const asVlm = vision || load.mmproj !== undefined;
    const get = once<HearthChatModel>(`chat:${model}:${JSON.stringify(s)}`, () => (asVlm ? VLM.load(model, load) : LLM.load(model, load)));
    return new HearthLanguageModel(model, get);
  };
  const embeddingModel = (model: string | Embedder, s: LoadModelOptions = {}) => {
    if (typeof model !== "string") return new HearthEmbeddingModel(model.info.ref, async () => model);
    return new HearthEmbeddingModel(
      model,
      once(`embed:${model}:${JSON.stringify(s)}`, () => Embedder.load(model, { ...settings.load, ...s })),
    );
  };
  const unsupported =
    (modelType: "imageModel") =>
    (modelId: string): never => {
      throw new NoSuchModelError({ modelId, modelType, message: `hearth has no ${modelType} yet` });
    };
  const provider = Object.assign((model: string | HearthChatModel, s?: HearthLanguageModelSettings) => languageModel(model, s), {
    specificationVersion: "v4" as const,
    languageModel,
    embeddingModel,
    imageModel: unsupported("imageModel"),
    async dispose() {
      const all = [...loaded.values()];
      loaded.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.dispose()));
    },
  });
  return provider;
}

/** The default provider (load options chosen by hearth). */
export const hearth: HearthProvider = createHearth();
