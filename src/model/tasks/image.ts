// Requests and results of image generation (diffusion pipelines): text-to-image and, with an input
// image, image-to-image.
import type { Profile } from "../profile.ts";

export interface ImageRequest {
  task: "image";
  prompt: string;
  /** what the image should not show (classifier-free guidance only) */
  negativePrompt?: string;
  /** pixels; multiples of 8 (default: the model's native size) */
  width?: number;
  height?: number;
  /** denoising steps (default: 4 for distilled models, 25 otherwise) */
  steps?: number;
  /** classifier-free guidance scale; <= 1 turns guidance off (default: 0 for distilled models, 7.5 otherwise) */
  guidance?: number;
  /** same seed, same image on the same engine and device (default: random) */
  seed?: number;
  /** image-to-image: encoded input image bytes (PNG, JPEG, WebP...) */
  image?: Uint8Array;
  /** image-to-image: how much of the schedule runs, 0 (input unchanged) to 1 (default 0.75) */
  strength?: number;
}

/** Where the time of one image went. */
export interface ImageProfile extends Profile {
  steps: number;
  /** mean milliseconds per denoising step (UNet + scheduler) */
  msPerStep: number;
  /** milliseconds per part: tokenize, textEncoder, vaeEncoder, denoise, vaeDecoder, png */
  partsMs: Record<string, number>;
  /** peak resident set size of the engine's process during the request, bytes */
  peakRssBytes: number;
}

/** A generated image: PNG bytes, its size and seed, and where the time went. */
export interface ImageResult {
  /** PNG bytes */
  png: Uint8Array;
  width: number;
  height: number;
  seed: number;
  /** the prompt was cut to the text encoder's 77 tokens */
  truncated: boolean;
  profile: ImageProfile;
}
