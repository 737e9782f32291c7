// The public SDK's option and result types. The contract between the SDK classes and the faces
// (CLI, server) that use them: written first, documented, changed additively.
import type { DeviceKind } from "../model/types.ts";
import type { LoadedModelInfo } from "../backends/types.ts";
import type {
  ChatMessage,
  SamplingOptions,
  ToolDefinition,
  ToolChoice,
  OutputConstraint,
  GenerationResult,
  ToolCall,
} from "../model/tasks/text.ts";
import type { PullEvent } from "../store/pull.ts";
import type { InferSchema, JsonSchema, TypedSchema } from "./schema.ts";

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
  /** download progress (bytes, total, file, speed) while a store model is pulled, then "loading" and
   * "loaded"; an exception thrown here is reported as a warning and never stops the download */
  onProgress?: (event: LoadProgress) => void;
  /** cancels the download (its partial files stay, so the next load resumes) or the load */
  signal?: AbortSignal;
}

/** What `onProgress` of `X.load()` receives, in order: download events (only when the model is pulled), then loading, loaded. */
export type LoadProgress =
  | {
      type: "download";
      /** the file whose bytes just arrived */
      file?: string;
      /** bytes on disk so far, those kept from an interrupted earlier pull included */
      doneBytes: number;
      totalBytes: number;
      /** bytes per second over the last few seconds */
      bytesPerSecond: number;
    }
  /** another event of the pull (resolved, start, file, waiting, retry), as `hearth pull` sees it */
  | { type: "pull"; event: PullEvent }
  | { type: "loading"; ref: string }
  | { type: "loaded"; ref: string; engine: string; device: string; ms: number };

/** A tool the model may call. `parameters` is a JSON schema or a Standard Schema (Zod...); with `execute`,
 * `llm.runTools()` runs it and hands the result back to the model. Write one with `tool()` to type `execute`'s arguments. */
export interface Tool<S extends TypedSchema | JsonSchema = TypedSchema | JsonSchema> {
  name: string;
  description?: string;
  parameters?: S;
  /** runs the call; its return value (JSON-serialised unless a string) goes back to the model */
  execute?: (args: InferSchema<S>, context: { callId: string; signal?: AbortSignal }) => unknown;
}

/** A constraint on the output: a GBNF grammar, any JSON object, or a JSON schema (JSON Schema object or Standard Schema). */
export type ConstraintOption = OutputConstraint | { type: "json_schema"; schema: TypedSchema | JsonSchema };

/** Options of one generation. */
export interface GenerateOptions extends SamplingOptions {
  tools?: (Tool | ToolDefinition)[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  /** JSON schema (or Standard Schema), JSON object or GBNF grammar; see also `schema` for a typed, validated object */
  constraint?: ConstraintOption;
  signal?: AbortSignal;
}

/** Options of a generation that answers with an object: `schema` constrains the output and validates it. */
export interface StructuredOptions<S extends TypedSchema | JsonSchema>
  extends Omit<GenerateOptions, "constraint" | "tools" | "toolChoice"> {
  /** a Standard Schema (Zod 4...) gives `object` its type and validates it; a JSON schema only parses */
  schema: S;
}

/** The result of a structured generation: the parsed, validated object beside the text it came from. */
export interface StructuredResult<T> extends GenerationResult {
  object: T;
}

/** Options of `llm.runTools()`: a generation repeated while the model calls tools that have `execute`. */
export interface ToolLoopOptions extends Omit<GenerateOptions, "constraint" | "toolChoice"> {
  tools: Tool[];
  /** generations at most (default 5); the loop stops there even if the model still calls tools */
  maxSteps?: number;
  /** for every step, or per step (0-based), e.g. `(step) => step === 0 ? "required" : "auto"` */
  toolChoice?: ToolChoice | ((step: number) => ToolChoice);
}

/** One executed tool call of a step. */
export interface ToolCallOutcome {
  call: ToolCall;
  /** the parsed (and, with a Standard Schema, validated) arguments */
  args?: unknown;
  /** what execute returned */
  output?: unknown;
  /** why the call failed (bad arguments, an unknown tool, execute threw); the model is told the same */
  error?: string;
}

/** One generation of a tool loop and the calls it made. */
export interface ToolStep {
  result: GenerationResult;
  toolResults: ToolCallOutcome[];
}

/** What `llm.runTools()` resolves to: the last generation, every step, and the conversation with the calls and results appended. */
export interface ToolLoopResult extends GenerationResult {
  steps: ToolStep[];
  messages: ChatMessage[];
  /** tokens of every step together */
  totalUsage: { promptTokens: number; completionTokens: number };
}

/** A streamed chunk of a generation. */
export type GenerationChunk =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "tool_call"; index: number; call: ToolCall };

/**
 * What `llm.chat()` / `llm.complete()` return: iterate for chunks, await `result` for the whole.
 * The generation starts when first iterated or when `result` is first read, not when the call
 * returns. Generations started together (each `result` read, or iterated concurrently) run side by
 * side on the model's sequences (`parallel`) and queue beyond them; streams created up front and
 * read one after another run one after another.
 */
export interface GenerationStream<R extends GenerationResult = GenerationResult> extends AsyncIterable<GenerationChunk> {
  readonly result: Promise<R>;
}

/** What was loaded and how: engine, device, settings, memory, and the reference asked for. */
export interface ModelHandleInfo extends LoadedModelInfo {
  /** what the user asked for */
  ref: string;
}
