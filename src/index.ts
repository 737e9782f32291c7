// The public SDK.
export { LLM } from "./sdk/LLM.ts";
export type { LoadModelOptions, GenerateOptions, GenerationStream, GenerationChunk, GenerationResult, ChatMessage, ToolDefinition, ToolCall } from "./sdk/types.ts";
export type { Profile } from "./model/profile.ts";
export { Embedder, type EmbedOptions, type EmbedResult } from "./sdk/Embedder.ts";
export { Reranker, type RerankResult } from "./sdk/Reranker.ts";
export { VLM, type VLMLoadOptions, type VLMMessage, type VLMGenerateOptions } from "./sdk/VLM.ts";
export { ASR, TranscriptionStream, type ASRLoadOptions, type TranscribeOptions, type StreamOptions, type StreamUpdate } from "./sdk/ASR.ts";
export { TTS, type TTSLoadOptions, type SpeakOptions, type SpeakResult, type AudioChunk, type SpeechStream } from "./sdk/TTS.ts";
export { Diarizer, type DiarizerLoadOptions, type DiarizeOptions, type DiarizeResult } from "./sdk/Diarizer.ts";
export { OCR, type OCRLoadOptions, type ReadOptions, type OcrResult, type OcrLine, type Quad } from "./sdk/OCR.ts";
export { Detector, type DetectorLoadOptions, type DetectOptions, type DetectResult, type Detection } from "./sdk/Detector.ts";
export { HearthError, type ErrorCode } from "./errors/HearthError.ts";
export { pullModel, listRemoteQuants, listModels, removeModel, cleanStore, resolveModel, describeModel, ALIASES, type PullOptions, type PullEvent, type PullResult, type InstalledModel, type ModelDescription, type Manifest } from "./store/index.ts";
export { runtimeEvents, fallbackHistory, type FallbackEvent, type RunnerExitEvent } from "./runtime/events.ts";
