// Vision-language and audio-input chat models: `VLM.load(ref, { mmproj })`, then chat with
// messages whose content mixes text, images and audio (paths, bytes or data URIs).
import type { LoadedModel } from "../backends/types.ts";
import type { ChatMessage, ContentPart, GenerationResult, Role } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { loadModel } from "../runtime/load.ts";
import { prepareContentPart, type MediaOptions, type UserContentPart } from "./mediaParts.ts";
import type { GenerateOptions, GenerationStream, LoadModelOptions, ModelHandleInfo, StructuredOptions, StructuredResult } from "./types.ts";
import { parseStructured, type InferSchema, type JsonSchema, type TypedSchema } from "./schema.ts";
import { toGenerationStream } from "./generationStream.ts";
import { engineFields } from "./generationRequest.ts";
import { loadReporter } from "./loadProgress.ts";

export interface VLMLoadOptions extends LoadModelOptions {
  /** the multimodal projector GGUF (vision and/or audio encoder); without it the model reads text only */
  mmproj?: string;
}

/** A chat message whose content may hold images and audio (paths, bytes or data: URIs). */
export interface VLMMessage {
  role: Role;
  content: string | (UserContentPart | ContentPart)[];
}

export interface VLMGenerateOptions extends GenerateOptions, MediaOptions {}

/** Vision-language and audio-input chat (llama.cpp multimodal): `VLM.load(ref, { mmproj })`, then `chat()` with media in messages. */
export class VLM {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a GGUF model and its multimodal projector (`mmproj`, or the one beside it in the store). */
  static async load(ref: string, options: VLMLoadOptions = {}): Promise<VLM> {
    const progress = loadReporter(ref, options);
    const files = await resolveModel(ref, { type: "vlm", mmproj: options.mmproj, pull: options.pull, ...progress.resolve });
    const device = options.device === "auto" ? undefined : options.device;
    const model = await progress.load(() =>
      loadModel(files, {
        backend: options.backend ?? "llama-mm",
        device,
        contextSize: options.contextSize,
        gpuLayers: options.gpuLayers,
        threads: options.threads,
        batchSize: options.batchSize,
        kvCacheType: options.kvCacheType,
        flashAttention: options.flashAttention,
        seed: options.seed,
        parallel: options.parallel,
        isolate: options.isolate,
        strict: options.strict,
      }),
    );
    return new VLM(model, { ...model.info, ref });
  }

  /** Whether the loaded projector reads images / audio. */
  get supports(): { vision: boolean; audio: boolean } {
    return { vision: this.info.settings.vision === true, audio: this.info.settings.audio === true };
  }

  /** Media are prepared (decoded, checked, resized) before the engine sees them. */
  async prepareMessages(messages: VLMMessage[], options: MediaOptions = {}): Promise<ChatMessage[]> {
    return Promise.all(
      messages.map(async (m) => ({
        role: m.role,
        content: typeof m.content === "string" ? m.content : await Promise.all(m.content.map((p) => prepareContentPart(p, options))),
      })),
    );
  }

  /** A chat turn; images and audio in messages are decoded and checked first. Streams like `LLM.chat`,
   * and like it gives a typed, validated `result.object` with `schema`. */
  chat<S extends TypedSchema | JsonSchema>(
    messages: VLMMessage[],
    options: StructuredOptions<S> & MediaOptions,
  ): GenerationStream<StructuredResult<InferSchema<S>>>;
  chat(messages: VLMMessage[], options?: VLMGenerateOptions): GenerationStream;
  chat(
    messages: VLMMessage[],
    options: VLMGenerateOptions | (StructuredOptions<TypedSchema | JsonSchema> & MediaOptions) = {},
  ): GenerationStream<GenerationResult> {
    const { signal, constraint, tools, toolChoice, parallelToolCalls, schema, ...rest } = options as VLMGenerateOptions & {
      schema?: TypedSchema | JsonSchema;
    };
    const run = async () => {
      const converted = engineFields(schema === undefined ? { constraint, tools } : { schema });
      const prepared = await this.prepareMessages(messages, options);
      return this.model.run(
        {
          task: "chat",
          messages: prepared,
          sampling: rest,
          constraint: converted.constraint,
          tools: converted.tools,
          toolChoice,
          parallelToolCalls,
        },
        signal,
      );
    };
    if (schema === undefined) return toGenerationStream(run);
    return toGenerationStream(run, async (r) => ({ ...r, object: await parseStructured(schema, r.text, r.finishReason) }));
  }

  /** Text continuation of a prompt (no chat template, no media). */
  complete(prompt: string, options: GenerateOptions = {}): GenerationStream {
    return toGenerationStream(async () => {
      const { signal, sampling, constraint } = engineFields({ ...options, tools: undefined });
      return this.model.run({ task: "complete", prompt, sampling, constraint }, signal);
    });
  }

  /** Frees the model. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using vlm = await VLM.load(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
