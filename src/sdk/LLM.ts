// Text generation: `LLM.load(ref, options)`, then `llm.chat(messages)` or `llm.complete(prompt)`,
// each a stream of chunks (text, reasoning, tool calls) with a final result and its profile.
import path from "node:path";
import type { LoadedModel } from "../backends/types.ts";
import type { ModelType } from "../model/types.ts";
import type { ChatMessage } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { loadModel, type RuntimeLoadOptions } from "../runtime/load.ts";
import { finalResult, toGenerationStream } from "./generationStream.ts";
import type { GenerateOptions, GenerationStream, LoadModelOptions, ModelHandleInfo } from "./types.ts";

/** Resolves a reference and loads it: what every text SDK class does in load(). */
export async function loadTextModel(ref: string, type: ModelType, options: LoadModelOptions): Promise<LoadedModel> {
  if (typeof ref !== "string" || !ref.trim()) throw new HearthError("bad_input", "a model reference is required", { hint: "give a store name, an alias or a .gguf path" });
  // pull is read by the store's resolver (pull on demand); extra fields pass through untouched
  const resolveOptions = { type, pull: options.pull };
  const files = await resolveModel(ref, resolveOptions);
  const { device, ...rest } = options;
  const runtime: RuntimeLoadOptions = { ...rest, device: device === "auto" ? undefined : device };
  return loadModel(files, runtime);
}

export class LLM {
  private constructor(private model: LoadedModel, readonly info: ModelHandleInfo) {}

  static async load(ref: string, options: LoadModelOptions = {}): Promise<LLM> {
    const model = await loadTextModel(ref, "llm", options);
    return new LLM(model, { ...model.info, ref });
  }

  chat(messages: ChatMessage[], options: GenerateOptions = {}): GenerationStream {
    const { signal, constraint, tools, toolChoice, parallelToolCalls, ...sampling } = options;
    return toGenerationStream(async () =>
      this.model.run({ task: "chat", messages, sampling, constraint, tools, toolChoice, parallelToolCalls }, signal));
  }

  complete(prompt: string, options: GenerateOptions = {}): GenerationStream {
    const { signal, constraint, tools: _t, toolChoice: _c, parallelToolCalls: _p, ...sampling } = options;
    return toGenerationStream(async () => this.model.run({ task: "complete", prompt, sampling, constraint }, signal));
  }

  /** Writes the KV cache of the conversation that ran last to a file; loadState (here or in a later
   * process, same model file) restores it, so continuing that conversation skips its prefill. */
  async saveState(file: string): Promise<{ bytes: number }> {
    return finalResult(this.model.run({ task: "state", action: "save", file: path.resolve(file) }), "state");
  }

  async loadState(file: string): Promise<void> {
    await finalResult(this.model.run({ task: "state", action: "load", file: path.resolve(file) }), "state");
  }

  /** The model's token ids for a text, as llama.cpp tokenizes it (without the beginning-of-text token). */
  async tokenize(text: string): Promise<number[]> {
    return (await finalResult(this.model.run({ task: "tokenize", text }), "tokenize")).tokens;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
