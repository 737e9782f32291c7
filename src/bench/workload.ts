// The request a cell repeats, chosen by what the model does: text generation for LLMs (a prompt of
// the asked length, the end-of-generation tokens forbidden so every repetition generates exactly
// the asked count, as llama-bench does), embedding and reranking for those models, generated
// audio for speech recognition, a rendered text image for OCR and a scene of shapes for detectors.
import { readFileSync } from "node:fs";
import sharp from "sharp";
import type { ModelFiles } from "../model/types.ts";
import type { TaskRequest } from "../model/task.ts";
import { encodeWav } from "../media/audio.ts";
import { HearthError } from "../errors/HearthError.ts";
import { onnxTaskOf } from "../backends/onnx/task.ts";
import { seededRandom, syntheticPrompt } from "./prompt.ts";

export type WorkloadKind = "generate" | "embed" | "rerank" | "asr" | "ocr" | "detect" | "image";

/** Denoising steps of one image-generation repetition (a Turbo model's usual count; per-step time is what compares). */
export const IMAGE_BENCH_STEPS = 4;

export function workloadKind(files: ModelFiles): WorkloadKind {
  switch (files.type) {
    case "llm":
    case "vlm":
      return "generate";
    case "embedder":
      return "embed";
    case "reranker":
      return "rerank";
    case "asr":
      return "asr";
    case "cv":
      // OCR or object detection, as the model says (ModelFiles.extra.task or its ONNX metadata)
      return onnxTaskOf(files);
    case "image_gen":
      return "image";
    default:
      throw new HearthError("unsupported_task", `hearth bench cannot measure ${files.type} models yet`, {
        hint: "it measures LLMs, embedders, rerankers, speech recognition, OCR, object detection and image generation",
      });
  }
}

/**
 * The prompt text for one run. Every run starts differently, so no engine can reuse a cached
 * prefix and every repetition pays the full prefill: a synthetic prompt is rotated by a few words
 * per run (same words, so about the same token count), a prompt file gets a run number up front.
 */
export function promptText(opts: { promptFile?: string; words: number; seed: number; run: number }): string {
  if (opts.promptFile) return `[${opts.run}] ${readFileSync(opts.promptFile, "utf8")}`;
  const words = syntheticPrompt(opts.words, opts.seed).split(" ");
  const shift = (((opts.run * 7) % words.length) + words.length) % words.length;
  return [...words.slice(shift), ...words.slice(0, shift)].join(" ");
}

/** `seconds` of 16 kHz mono test audio: a gliding tone with some noise, deterministic. */
export function testAudio(seconds: number, seed: number): Uint8Array {
  const rate = 16000;
  const n = Math.max(1, Math.round(seconds * rate));
  const rnd = seededRandom(seed);
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    s[i] = 0.3 * Math.sin(2 * Math.PI * (220 + 80 * Math.sin(t)) * t) + 0.05 * (rnd() * 2 - 1);
  }
  return encodeWav(s, rate);
}

/** A PNG of a few lines of printed text, for OCR latency. */
export async function testImage(): Promise<Uint8Array> {
  const lines = ["hearth benchmark 0123456789", "The quick brown fox jumps", "over the lazy dog. 2026-11-25"];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="200"><rect width="100%" height="100%" fill="white"/>${lines
    .map((l, i) => `<text x="20" y="${50 + i * 55}" font-family="sans-serif" font-size="36" fill="black">${l}</text>`)
    .join("")}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** A PNG of a few filled shapes on a plain background, for detection latency (640x480, a common camera size). */
export async function testScene(): Promise<Uint8Array> {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="100%" height="100%" fill="#9ab"/>' +
    '<circle cx="180" cy="240" r="110" fill="#c22"/><rect x="380" y="80" width="160" height="320" fill="#22c"/>' +
    '<polygon points="320,420 380,300 440,420" fill="#2a2"/></svg>';
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

export interface WorkloadInput {
  kind: WorkloadKind;
  text: string;
  genTokens: number;
  seed: number;
  /** forbid the model's end tokens so every run generates genTokens (where the engine can) */
  banEnds: boolean;
  audio?: Uint8Array;
  image?: Uint8Array;
}

export function requestFor(w: WorkloadInput): TaskRequest {
  switch (w.kind) {
    case "generate":
      return {
        task: "complete",
        prompt: w.text,
        sampling: {
          temperature: 0,
          seed: w.seed,
          maxTokens: w.genTokens,
          ignoreEos: w.banEnds || undefined,
        },
      };
    case "embed":
      return { task: "embed", texts: [w.text] };
    case "rerank": {
      const words = w.text.split(" ");
      const third = Math.max(1, Math.floor(words.length / 3));
      return {
        task: "rerank",
        query: words.slice(0, third).join(" "),
        documents: [words.slice(third, 2 * third).join(" "), words.slice(2 * third).join(" ")],
      };
    }
    case "asr":
      return { task: "asr", audio: w.audio!, language: "en" };
    case "ocr":
      return { task: "ocr", image: w.image! };
    case "detect":
      return { task: "detect", image: w.image! };
    case "image":
      // the model's native size and default guidance; a fixed prompt (CLIP reads at most 77 tokens)
      return { task: "image", prompt: "a red fox in the snow, oil painting", steps: IMAGE_BENCH_STEPS, seed: w.seed };
  }
}
