// Image generation: `ImageGenerator.load("org/sd-turbo-onnx")` (a Stable Diffusion pipeline in
// diffusers' ONNX layout: a store name, or a folder), then
// `generator.generate({ prompt: "a red fox", steps: 4, seed: 7 })` -> PNG bytes and a profile (per
// step, per part, total, peak memory). With `image` it starts from that picture (image-to-image).
import type { LoadedModel } from "../backends/types.ts";
import type { ModelFiles } from "../model/types.ts";
import type { ImageRequest, ImageResult, ImageProfile } from "../model/tasks/image.ts";
import { HearthError } from "../errors/HearthError.ts";
import { loadModel } from "../runtime/load.ts";
import { engineOptions } from "./engineOptions.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { loadReporter } from "./loadProgress.ts";
import { readMediaSource, type MediaInputOptions, type MediaSource } from "./mediaInput.ts";
import type { LoadModelOptions, ModelHandleInfo } from "./types.ts";

export type { ImageResult, ImageProfile };

export interface ImageGeneratorLoadOptions extends LoadModelOptions {
  /** ONNX Runtime execution providers in order, for every part; default: from `device` */
  executionProviders?: string[];
  /** providers in order for single parts ("unet", "text_encoder", "text_encoder_2", "vae_decoder",
   * "vae_encoder"), e.g. `{ vae_decoder: ["cpu"] }`; the others follow `executionProviders` */
  partProviders?: Record<string, string[]>;
}

export interface GenerateImageOptions extends MediaInputOptions {
  prompt: string;
  /** what the image should not show (models that use guidance) */
  negativePrompt?: string;
  /** pixels, multiples of 8 (default: the model's native size) */
  width?: number;
  height?: number;
  /** denoising steps (default 4 for distilled models such as SD-Turbo, 25 otherwise) */
  steps?: number;
  /** classifier-free guidance (default 7.5; 0 for distilled models, which refuse more than 1) */
  guidance?: number;
  /** same seed, same PNG on the same engine and device (default: random, returned in the result) */
  seed?: number;
  /** image-to-image: the picture to start from (path, URL where allowed, data: URI or bytes) */
  image?: MediaSource;
  /** image-to-image: 0 keeps the input, 1 replaces it (default 0.75) */
  strength?: number;
  /** called after each denoising step */
  onProgress?: (progress: { step: number; steps: number }) => void;
  /** stops between steps; the promise rejects with code "aborted" */
  signal?: AbortSignal;
}

/** Image generation (Stable Diffusion in diffusers' ONNX layout): `ImageGenerator.load(ref)`, then `generate({ prompt, ... })` returns PNG bytes and a profile. */
export class ImageGenerator {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a diffusers ONNX pipeline: a folder with model_index.json, or a store name (pulled on first use). */
  static async load(ref: string | ModelFiles, options: ImageGeneratorLoadOptions = {}): Promise<ImageGenerator> {
    // no type forced: a diffusers folder says image_gen itself, and anything else is refused below
    const progress = loadReporter(typeof ref === "string" ? ref : ref.dir, options);
    const files = typeof ref === "string" ? await resolveModel(ref, { pull: options.pull, ...progress.resolve }) : ref;
    if (files.type !== "image_gen") {
      throw new HearthError("unsupported_task", `${typeof ref === "string" ? ref : files.dir} is not an image-generation model`, {
        hint: "give a Stable Diffusion model in diffusers' ONNX layout (a folder with model_index.json)",
      });
    }
    const model = await progress.load(() =>
      loadModel(files, {
        ...engineOptions(options),
        task: "image",
        extra: { executionProviders: options.executionProviders, partProviders: options.partProviders },
      }),
    );
    return new ImageGenerator(model, { ...model.info, ref: typeof ref === "string" ? ref : files.dir });
  }

  /** Generates one image (or transforms `image` at `strength`); per-step progress through `onProgress`, stops between steps on `signal`. */
  async generate(options: GenerateImageOptions): Promise<ImageResult> {
    const { image, onProgress, signal, prompt, negativePrompt, width, height, steps, guidance, seed, strength } = options;
    const request: ImageRequest = { task: "image", prompt, negativePrompt, width, height, steps, guidance, seed, strength };
    if (image !== undefined) request.image = (await readMediaSource(image, options)).data;
    for await (const e of this.model.run(request, signal)) {
      if (e.type === "progress") onProgress?.({ step: e.step, steps: e.steps });
      if (e.type === "result") return e.result as ImageResult;
    }
    throw new HearthError("internal", "the engine ended without a result");
  }

  /** Releases the model (its runner process, if any). */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** `await using` support: the same as `dispose()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
