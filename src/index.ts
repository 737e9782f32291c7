// The public SDK.
export { VLM, type VLMLoadOptions, type VLMMessage, type VLMGenerateOptions } from "./sdk/VLM.ts";
export { ASR, TranscriptionStream, type ASRLoadOptions, type TranscribeOptions, type StreamOptions, type StreamUpdate } from "./sdk/ASR.ts";
export { HearthError, type ErrorCode } from "./errors/HearthError.ts";
