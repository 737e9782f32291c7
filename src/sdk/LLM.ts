// Text generation: `LLM.load(ref, options)`, then `llm.chat(messages)` or `llm.complete(prompt)`,
// each a stream of chunks (text, reasoning, tool calls) with a final result and its profile.
import path from "node:path";
import type { LoadedModel } from "../backends/types.ts";
import type { ModelType } from "../model/types.ts";
import type { ChatMessage, GenerationResult } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { loadModel, type RuntimeLoadOptions } from "../runtime/load.ts";
import { finalResult, toGenerationStream } from "./generationStream.ts";
import { engineFields } from "./generationRequest.ts";
import { parseStructured, type InferSchema, type JsonSchema, type TypedSchema } from "./schema.ts";
import { runToolLoop } from "./toolLoop.ts";
import { loadReporter } from "./loadProgress.ts";
import type {
  GenerateOptions,
  GenerationStream,
  LoadModelOptions,
  ModelHandleInfo,
  StructuredOptions,
  StructuredResult,
  ToolLoopOptions,
  ToolLoopResult,
} from "./types.ts";

/** Resolves a reference and loads it: what every text SDK class does in load(). */
export async function loadTextModel(ref: string, type: ModelType, options: LoadModelOptions): Promise<LoadedModel> {
  if (typeof ref !== "string" || !ref.trim())
    throw new HearthError("bad_input", "a model reference is required", { hint: "give a store name, an alias or a .gguf path" });
  const progress = loadReporter(ref, options);
  // pull is read by the store's resolver (pull on demand); extra fields pass through untouched
  const resolveOptions = { type, pull: options.pull, ...progress.resolve };
  const files = await resolveModel(ref, resolveOptions);
  const { device, onProgress: _p, signal: _s, ...rest } = options;
  const runtime: RuntimeLoadOptions = { ...rest, device: device === "auto" ? undefined : device };
  return progress.load(() => loadModel(files, runtime));
}

/** Text generation (llama.cpp): `LLM.load(ref)`, then `chat()`, `complete()` or `runTools()`. */
export class LLM {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a GGUF model: a path, an alias (`qwen3`) or a store name `org/repo[:QUANT]`, pulled on first use (see `onProgress`). */
  static async load(ref: string, options: LoadModelOptions = {}): Promise<LLM> {
    const model = await loadTextModel(ref, "llm", options);
    return new LLM(model, { ...model.info, ref });
  }

  /** A chat turn. With `schema` (a Zod 4 / Standard Schema, or a JSON schema) the answer is constrained
   * to it and `result.object` holds the parsed, validated value, typed from the schema; an answer that
   * does not validate rejects with a `StructuredOutputError` carrying the raw text. */
  chat<S extends TypedSchema | JsonSchema>(
    messages: ChatMessage[],
    options: StructuredOptions<S>,
  ): GenerationStream<StructuredResult<InferSchema<S>>>;
  chat(messages: ChatMessage[], options?: GenerateOptions): GenerationStream;
  chat(
    messages: ChatMessage[],
    options: GenerateOptions | StructuredOptions<TypedSchema | JsonSchema> = {},
  ): GenerationStream<GenerationResult> {
    const run = async () => {
      // a schema that cannot be converted (or that the engine cannot express) rejects `result`, as engine errors do
      const { signal, sampling, constraint, tools, toolChoice, parallelToolCalls } = engineFields(options);
      return this.model.run({ task: "chat", messages, sampling, constraint, tools, toolChoice, parallelToolCalls }, signal);
    };
    if (!("schema" in options) || options.schema === undefined) return toGenerationStream(run);
    const schema = options.schema;
    return toGenerationStream(run, async (r) => ({ ...r, object: await parseStructured(schema, r.text, r.finishReason) }));
  }

  /** Text continuation of a prompt (no chat template); `schema` works as in `chat`. */
  complete<S extends TypedSchema | JsonSchema>(
    prompt: string,
    options: StructuredOptions<S>,
  ): GenerationStream<StructuredResult<InferSchema<S>>>;
  complete(prompt: string, options?: GenerateOptions): GenerationStream;
  complete(
    prompt: string,
    options: GenerateOptions | StructuredOptions<TypedSchema | JsonSchema> = {},
  ): GenerationStream<GenerationResult> {
    const run = async () => {
      const { signal, sampling, constraint } = engineFields({ ...options, tools: undefined });
      return this.model.run({ task: "complete", prompt, sampling, constraint }, signal);
    };
    if (!("schema" in options) || options.schema === undefined) return toGenerationStream(run);
    const schema = options.schema;
    return toGenerationStream(run, async (r) => ({ ...r, object: await parseStructured(schema, r.text, r.finishReason) }));
  }

  /** Chats while the model calls tools: each call's `execute` runs and its result goes back to the
   * model, for at most `maxSteps` generations; every step's calls and results are in the result. */
  runTools(messages: ChatMessage[], options: ToolLoopOptions): Promise<ToolLoopResult> {
    return runToolLoop((m, o) => this.chat(m, o), messages, options);
  }

  /** Writes the KV cache of the conversation that ran last to a file; loadState (here or in a later
   * process, same model file) restores it, so continuing that conversation skips its prefill. */
  async saveState(file: string): Promise<{ bytes: number }> {
    return finalResult(this.model.run({ task: "state", action: "save", file: path.resolve(file) }), "state");
  }

  /** Restores a KV cache written by `saveState` (same model file). */
  async loadState(file: string): Promise<void> {
    await finalResult(this.model.run({ task: "state", action: "load", file: path.resolve(file) }), "state");
  }

  /** The model's token ids for a text, as llama.cpp tokenizes it (without the beginning-of-text token). */
  async tokenize(text: string): Promise<number[]> {
    return (await finalResult(this.model.run({ task: "tokenize", text }), "tokenize")).tokens;
  }

  /** Frees the model. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using llm = await LLM.load(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
