// The public SDK's option and result types. The contract between the SDK classes and the faces
// (CLI, server) that use them: written first, documented, changed additively.
import type { DeviceKind } from "../model/types.ts";
import type { LoadedModelInfo } from "../backends/types.ts";
import type {
  ChatMessage, SamplingOptions, ToolDefinition, ToolChoice, OutputConstraint, GenerationResult, ToolCall,
} from "../model/tasks/text.ts";

export type { ChatMessage, SamplingOptions, ToolDefinition, ToolChoice, OutputConstraint, GenerationResult, ToolCall };

/** Options of every `X.load(ref, options)`. Defaults are chosen by hearth (planner) and explained by `hearth plan`. */
export interface LoadModelOptions {
  /** "auto" (default): hearth chooses */
  device?: DeviceKind | "auto";
  /** force an engine by name ("llama", "onnx", ...) */
  backend?: string;
  /** tokens; default: the model's trained context, capped by memory */
  contextSize?: number;
  /** default: as many as fit */
  gpuLayers?: number | "max";
  /** default: the physical cores, never more */
  threads?: number;
  batchSize?: number;
  kvCacheType?: "f16" | "q8_0" | "q4_0";
  flashAttention?: boolean;
  seed?: number;
  /** parallel sequences for concurrent requests (default 1) */
  parallel?: number;
  /** pull from the hub if the model is not in the store (default true) */
  pull?: boolean;
  /** run the engine in a child process (default false in the SDK, except llama-mm, which crashed
   * processes it shared; true in the server). false keeps even llama-mm in this process. */
  isolate?: boolean;
  /** fail instead of falling back to another device */
  strict?: boolean;
}

/** Options of one generation. */
export interface GenerateOptions extends SamplingOptions {
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  /** JSON schema, JSON object or GBNF grammar */
  constraint?: OutputConstraint;
  signal?: AbortSignal;
}

/** A streamed chunk of a generation. */
export type GenerationChunk =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "tool_call"; index: number; call: ToolCall };

/** What `llm.chat()` / `llm.complete()` return: iterate for chunks, await `result` for the whole. */
export interface GenerationStream extends AsyncIterable<GenerationChunk> {
  readonly result: Promise<GenerationResult>;
}

export interface ModelHandleInfo extends LoadedModelInfo {
  /** what the user asked for */
  ref: string;
}
