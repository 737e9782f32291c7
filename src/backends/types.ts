// The ONE interface every engine implements. A new engine is a new folder in backends/ that declares
// what it can do (formats, tasks, devices) and implements Backend; nothing above it changes.
// Everything that crosses this interface is structured-clone serialisable, so a runtime can host a
// backend in a child process (runner) and proxy it unchanged.
import type {
  ChatRequest, CompleteRequest, EmbedRequest, RerankRequest, GenerationResult, EmbedResult, RerankResult, ToolCall,
} from "./tasks/text.ts";
import type { OcrRequest, OcrResult, DetectRequest, DetectResult } from "./tasks/cv.ts";
import type {
  TranscribeRequest, TranscribeResult, SpeakRequest, SpeakResult, DiarizeRequest, DiarizeResult,
} from "./tasks/speech.ts";

export type ModelFormat = "gguf" | "onnx" | "mlx" | "nexa" | "ggml"; // ggml: whisper.cpp's legacy binary format
export type ModelType = "llm" | "vlm" | "embedder" | "reranker" | "asr" | "tts" | "cv" | "image_gen" | "diarize";
export type DeviceKind = "cpu" | "gpu" | "npu";
export type TaskName = TaskRequest["task"];

export type TaskRequest =
  | ChatRequest | CompleteRequest | EmbedRequest | RerankRequest
  | TokenizeRequest | StateRequest
  | OcrRequest | DetectRequest
  | TranscribeRequest | SpeakRequest | DiarizeRequest;

/** Model utilities of text engines (llama), sent through run() like tasks so that a runner process
 * proxies them unchanged: the tokenizer, and the KV cache of the sequence used last to/from a file. */
export interface TokenizeRequest { task: "tokenize"; text: string }
export interface StateRequest { task: "state"; action: "save" | "load"; file: string }

/** What each task's final result is. */
export interface TaskResults {
  tokenize: { tokens: number[] };
  state: { bytes: number };
  chat: GenerationResult;
  complete: GenerationResult;
  embed: EmbedResult;
  rerank: RerankResult;
  ocr: OcrResult;
  detect: DetectResult;
  asr: TranscribeResult;
  tts: SpeakResult;
  diarize: DiarizeResult;
}

/** Streamed while a task runs; the last event of a successful run is always `result`. */
export type TaskEvent =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "tool_call"; index: number; call: ToolCall }
  | { type: "audio"; samples: Float32Array; sampleRate: number }
  | { type: "segment"; startMs: number; endMs: number; text: string }
  | { type: "result"; task: TaskName; result: TaskResults[TaskName] };

/** The files of one model on disk (from the store, or a plain path). */
export interface ModelFiles {
  /** folder holding the files */
  dir: string;
  /** main weights: first shard of a split GGUF, or the .onnx file */
  primary: string;
  /** further shards of a split GGUF, in order */
  shards?: string[];
  /** multimodal projector (GGUF) */
  mmproj?: string;
  /** tokenizer.json, config.json, vocab, dictionaries...: name -> absolute path */
  extra?: Record<string, string>;
  format: ModelFormat;
  type: ModelType;
  /** sha256 of the primary file where known (keys measured profiles) */
  sha256?: string;
}

/** How to load; the planner fills these in, the user may override. */
export interface LoadOptions {
  device: DeviceKind;
  /** layers offloaded to the GPU; "max" = all that fit */
  gpuLayers?: number | "max";
  /** compute threads; default the physical cores (never more: oversubscription is ruinous) */
  threads?: number;
  contextSize?: number;
  batchSize?: number;
  /** parallel sequences (continuous batching) */
  parallel?: number;
  kvCacheType?: "f16" | "q8_0" | "q4_0";
  flashAttention?: boolean;
  seed?: number;
  /** engine-specific settings, e.g. ONNX execution providers in order */
  extra?: Record<string, unknown>;
}

export interface BackendDescriptor {
  /** stable id, e.g. "llama", "llama-mm", "onnx", "speech" */
  name: string;
  formats: ModelFormat[];
  modelTypes: ModelType[];
  tasks: TaskName[];
  devices: DeviceKind[];
  /** engines that must not share a process with this one: the runtime loads the second of such a
   * pair into a runner process of its own (runtime/inProcess.ts says what was measured) */
  inProcessConflicts?: string[];
  /** why the engine runs in a runner process of its own unless the caller asks for this process
   * (isolate: false): it crashed processes it shared */
  ownProcess?: string;
}

export interface DeviceProbe {
  device: DeviceKind;
  /** e.g. "cuda", "vulkan", "metal", "cpu", "CoreMLExecutionProvider" */
  api: string;
  available: boolean;
  /** why not, when unavailable */
  reason?: string;
}

export interface LoadedModelInfo {
  backend: string;
  device: DeviceKind;
  api?: string;
  tasks: TaskName[];
  contextSize?: number;
  /** bytes resident (RAM + VRAM) where the engine reports it */
  memoryBytes?: number;
  loadMs: number;
  /** settings as actually applied (threads, gpuLayers, ...) */
  settings: Record<string, unknown>;
}

export interface LoadedModel {
  readonly info: LoadedModelInfo;
  /** Runs one task; yields partial events and ends with a `result` event. Aborting rejects with code "aborted". */
  run(request: TaskRequest, signal?: AbortSignal): AsyncIterable<TaskEvent>;
  dispose(): Promise<void>;
}

export interface Backend {
  readonly descriptor: BackendDescriptor;
  /** Which devices this engine can really use on this machine: probed, never assumed. */
  probe(): Promise<DeviceProbe[]>;
  load(model: ModelFiles, options: LoadOptions): Promise<LoadedModel>;
}
