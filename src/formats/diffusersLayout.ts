// The diffusers ONNX layout (Stable Diffusion 1.x/2.x, SD-Turbo, SDXL, LCM exports and their Olive
// variants): a folder with model_index.json and one subfolder per part. Pure: reads names and JSON,
// never loads native code, so the engine's descriptor and the store can both ask it.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../model/types.ts";

/** The ONNX parts of a pipeline, by the folder diffusers exports them to. */
export const DIFFUSERS_ONNX_PARTS = ["text_encoder", "text_encoder_2", "unet", "vae_decoder", "vae_encoder"] as const;
export type DiffusersPart = (typeof DIFFUSERS_ONNX_PARTS)[number];

/** What model_index.json says: the pipeline class and each component's [library, class]. */
export interface ModelIndex {
  _class_name?: string;
  [component: string]: unknown;
}

export function readModelIndex(dir: string): ModelIndex | undefined {
  const file = path.join(dir, "model_index.json");
  if (!existsSync(file)) return undefined;
  try {
    const j = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return j && typeof j === "object" && !Array.isArray(j) ? (j as ModelIndex) : undefined;
  } catch {
    return undefined;
  }
}

/** The part's .onnx file: model.onnx, else the only .onnx in its folder (Olive names some differently). */
function partFile(dir: string, part: string): string | undefined {
  const sub = path.join(dir, part);
  if (!existsSync(sub) || !statSync(sub).isDirectory()) return undefined;
  if (existsSync(path.join(sub, "model.onnx"))) return path.join(sub, "model.onnx");
  const onnx = readdirSync(sub)
    .filter((n) => /\.onnx$/i.test(n))
    .sort();
  return onnx.length > 0 ? path.join(sub, onnx[0]) : undefined;
}

/** The pipeline folder a part's .onnx file belongs to (`<root>/unet/model.onnx` -> `<root>`). */
function partOwner(file: string): string | undefined {
  const part = path.basename(path.dirname(file));
  if (!/\.onnx$/i.test(file) || !(DIFFUSERS_ONNX_PARTS as readonly string[]).includes(part)) return undefined;
  const root = path.dirname(path.dirname(file));
  return existsSync(path.join(root, "model_index.json")) ? root : undefined;
}

/**
 * The files of a diffusers ONNX pipeline in `dir` (or the pipeline one of its part files belongs to) (a folder with model_index.json), else undefined.
 * `extra` names each part that exists (text_encoder, unet, ..., tokenizer/vocab.json as
 * "tokenizer.vocab", scheduler/scheduler_config.json as "scheduler"); a missing part is reported by
 * the engine when it loads, in words. `primary` is the UNet, the part that decides speed and memory.
 */
export function diffusersFiles(target: string): ModelFiles | undefined {
  if (!existsSync(target)) return undefined;
  // one part's file (unet/model.onnx, as profiles and tune cells name the model) means its pipeline
  const dir = statSync(target).isDirectory() ? target : partOwner(target);
  if (!dir) return undefined;
  const index = readModelIndex(dir);
  if (!index) return undefined;
  const extra: Record<string, string> = { task: "image", model_index: path.join(dir, "model_index.json") };
  for (const part of DIFFUSERS_ONNX_PARTS) {
    const f = partFile(dir, part);
    if (!f) continue;
    extra[part] = f;
    // external data beside it (Optimum: model.onnx_data; diffusers' exporter: weights.pb), counted as weights
    const data = readdirSync(path.dirname(f)).filter((n) => /\.onnx_data$|\.onnx\.data$|^weights\.pb$/i.test(n));
    data.forEach((n, i) => {
      extra[`${part}.data${i ? i + 1 : ""}`] = path.join(path.dirname(f), n);
    });
  }
  for (const tok of ["tokenizer", "tokenizer_2"]) {
    for (const [key, name] of [
      ["vocab", "vocab.json"],
      ["merges", "merges.txt"],
      ["config", "tokenizer_config.json"],
      ["special", "special_tokens_map.json"],
    ]) {
      const f = path.join(dir, tok, name);
      if (existsSync(f)) extra[`${tok}.${key}`] = f;
    }
  }
  const scheduler = path.join(dir, "scheduler", "scheduler_config.json");
  if (existsSync(scheduler)) extra.scheduler = scheduler;
  return {
    dir,
    primary: extra.unet ?? path.join(dir, "unet", "model.onnx"),
    format: "onnx",
    type: "image_gen",
    extra,
  };
}
