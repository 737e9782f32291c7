// The public SDK.
export { LLM } from "./sdk/LLM.ts";
export { tool } from "./sdk/toolLoop.ts";
export { store, type StorePullOptions, type RemoveResult } from "./sdk/store.ts";
export { StructuredOutputError, type TypedSchema, type JsonSchema, type InferSchema } from "./sdk/schema.ts";
export type {
  LoadModelOptions,
  LoadProgress,
  GenerateOptions,
  GenerationChunk,
  GenerationStream,
  ModelHandleInfo,
  ConstraintOption,
  StructuredOptions,
  StructuredResult,
  Tool,
  ToolLoopOptions,
  ToolLoopResult,
  ToolStep,
  ToolCallOutcome,
  ChatMessage,
  SamplingOptions,
  ToolDefinition,
  ToolChoice,
  OutputConstraint,
  GenerationResult,
  ToolCall,
} from "./sdk/types.ts";
export type { Profile } from "./model/profile.ts";
export { Embedder, type EmbedOptions, type EmbedResult } from "./sdk/Embedder.ts";
export { Reranker, type RerankResult } from "./sdk/Reranker.ts";
export { VLM, type VLMLoadOptions, type VLMMessage, type VLMGenerateOptions } from "./sdk/VLM.ts";
export { ASR, TranscriptionStream, type ASRLoadOptions, type TranscribeOptions, type StreamOptions, type StreamUpdate } from "./sdk/ASR.ts";
export { TTS, type TTSLoadOptions, type SpeakOptions, type SpeakResult, type AudioChunk, type SpeechStream } from "./sdk/TTS.ts";
export { Diarizer, type DiarizerLoadOptions, type DiarizeOptions, type DiarizeResult } from "./sdk/Diarizer.ts";
export { OCR, type OCRLoadOptions, type ReadOptions, type OcrResult, type OcrLine, type Quad } from "./sdk/OCR.ts";
export {
  ImageGenerator,
  type ImageGeneratorLoadOptions,
  type GenerateImageOptions,
  type ImageResult,
  type ImageProfile,
} from "./sdk/ImageGenerator.ts";
export { Detector, type DetectorLoadOptions, type DetectOptions, type DetectResult, type Detection } from "./sdk/Detector.ts";
export { HearthError, type ErrorCode } from "./errors/HearthError.ts";
export {
  listRemoteQuants,
  listModels,
  removeModel,
  cleanStore,
  ALIASES,
  type PullOptions,
  type PullEvent,
  type PullResult,
  type InstalledModel,
  type Manifest,
} from "./store/index.ts";
export { resolveModel, type ResolveOptions } from "./resolve/resolveModel.ts";
export { pullModel } from "./resolve/pull.ts";
export { describeModel, type ModelDescription } from "./resolve/describe.ts";
export { runtimeEvents, fallbackHistory, type FallbackEvent, type RunnerExitEvent, type RuntimeEventMap } from "./runtime/events.ts";
export type { Alias, ManifestFile, QuantEntry, CleanResult, RemoteQuantInfo } from "./store/index.ts";
// the vocabulary the signatures above use
export type { DeviceKind, ModelFormat, ModelType, ModelFiles } from "./model/types.ts";
export type { ContentPart, Role, FinishReason } from "./model/tasks/text.ts";
export type { TranscriptSegment, TranscribeResult } from "./model/tasks/speech.ts";
export type { ModelFacts } from "./formats/ggufFacts.ts";
export type { AudioLimits } from "./media/audio.ts";
export type { MediaSource, MediaInputOptions } from "./sdk/mediaInput.ts";
export type { UserContentPart, MediaOptions } from "./sdk/mediaParts.ts";
