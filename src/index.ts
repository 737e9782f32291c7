// The public SDK.
export { VLM, type VLMLoadOptions, type VLMMessage, type VLMGenerateOptions } from "./sdk/VLM.ts";
export { ASR, TranscriptionStream, type ASRLoadOptions, type TranscribeOptions, type StreamOptions, type StreamUpdate } from "./sdk/ASR.ts";
export { TTS, type TTSLoadOptions, type SpeakOptions, type SpeakResult, type AudioChunk, type SpeechStream } from "./sdk/TTS.ts";
export { Diarizer, type DiarizerLoadOptions, type DiarizeOptions, type DiarizeResult } from "./sdk/Diarizer.ts";
export { HearthError, type ErrorCode } from "./errors/HearthError.ts";
