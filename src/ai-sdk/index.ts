// `hearth/ai-sdk`: the Vercel AI SDK provider, in process (no server): `generateText({ model: hearth("org/repo") })`.
export { createHearth, hearth, type HearthProvider, type HearthProviderSettings, type HearthLanguageModelSettings } from "./provider.ts";
export { HearthLanguageModel, type HearthChatModel } from "./languageModel.ts";
export { HearthEmbeddingModel } from "./embeddingModel.ts";
export type { HearthCallOptions } from "./prompt.ts";
