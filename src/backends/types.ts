// The ONE interface every engine implements. A new engine is a new folder in backends/ that declares
// what it can do (formats, tasks, devices) and implements Backend; nothing above it changes.
// Everything that crosses this interface is structured-clone serialisable, so a runtime can host a
// backend in a child process (runner) and proxy it unchanged.
import type { DeviceKind, ModelFiles, ModelFormat, ModelType } from "../model/types.ts";
import type { TaskEvent, TaskName, TaskRequest } from "../model/task.ts";

/** How to load; the planner fills these in, the user may override. */
export interface LoadOptions {
  device: DeviceKind;
  /** layers offloaded to the GPU; "max" = all that fit; "auto" = as many as the engine's own estimate
   * fits (engines whose descriptor says sizesGpuOffload) */
  gpuLayers?: number | "max" | "auto";
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
  /** the engine sizes GPU offload itself from the model file and the free VRAM (node-llama-cpp's
   * GgufInsights read key length, sliding-window attention and per-layer KV heads): the planner
   * passes gpuLayers "auto" and keeps its own estimate for ranking devices only */
  sizesGpuOffload?: boolean;
  /** why the engine runs in a runner process of its own unless the caller asks for this process
   * (isolate: false): it crashed processes it shared */
  ownProcess?: string;
  /** why the engine cannot bias or forbid tokens (logitBias, ignoreEos): it refuses such requests,
   * and the bench lets its generations end where the model ends them */
  noTokenBias?: string;
  /** environment the engine's runner process starts with (what must be set before the process
   * starts); a variable the user set wins */
  runnerEnv?: Record<string, string>;
  /**
   * How this engine recognises its models on disk: given an existing file or folder, the model's
   * files (format, type, side files) when they are in this engine's layout, else undefined. Pure:
   * reads names, headers and metadata, never loads native code. The one resolver asks each engine's
   * descriptor in the registry's order, so a new layout touches only its engine's folder.
   */
  recognize?: (target: string, hint?: RecognizeHint) => Promise<ModelFiles | undefined>;
}

/** What the caller of the resolver knows: the type it expects (an SDK class knows), and side files it
 * names apart from the model (a diarizer's speaker embedding model): role -> absolute path. */
export interface RecognizeHint {
  type?: ModelType;
  side?: Record<string, string>;
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
