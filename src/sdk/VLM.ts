// Vision-language and audio-input chat models: `VLM.load(ref, { mmproj })`, then chat with
// messages whose content mixes text, images and audio (paths, bytes or data URIs).
import type { LoadedModel } from "../backends/types.ts";
import type { ChatMessage, ContentPart, Role } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { loadModel } from "../runtime/load.ts";
import { prepareContentPart, type MediaOptions, type UserContentPart } from "./mediaParts.ts";
import type { GenerateOptions, GenerationStream, LoadModelOptions, ModelHandleInfo } from "./types.ts";
import { toGenerationStream } from "./generationStream.ts";

export interface VLMLoadOptions extends LoadModelOptions {
  /** the multimodal projector GGUF (vision and/or audio encoder); without it the model reads text only */
  mmproj?: string;
}

export interface VLMMessage {
  role: Role;
  content: string | (UserContentPart | ContentPart)[];
}

export interface VLMGenerateOptions extends GenerateOptions, MediaOptions {}

export class VLM {
  private constructor(private model: LoadedModel, readonly info: ModelHandleInfo) {}

  static async load(ref: string, options: VLMLoadOptions = {}): Promise<VLM> {
    const files = await resolveModel(ref, { type: "vlm", mmproj: options.mmproj });
    const device = options.device === "auto" ? undefined : options.device;
    const model = await loadModel(files, {
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
    });
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

  chat(messages: VLMMessage[], options: VLMGenerateOptions = {}): GenerationStream {
    const { signal, constraint, tools, toolChoice, parallelToolCalls, ...rest } = options;
    return toGenerationStream(async () => {
      const prepared = await this.prepareMessages(messages, options);
      return this.model.run({ task: "chat", messages: prepared, sampling: rest, constraint, tools, toolChoice, parallelToolCalls }, signal);
    });
  }

  complete(prompt: string, options: GenerateOptions = {}): GenerationStream {
    const { signal, constraint, tools: _t, toolChoice: _c, parallelToolCalls: _p, ...sampling } = options;
    return toGenerationStream(async () => this.model.run({ task: "complete", prompt, sampling, constraint }, signal));
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
