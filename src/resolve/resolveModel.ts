// The one road from what a user typed to a model's files. A path (`./model.gguf`, `~/models/x`, a
// release folder) is recognised by the engines' descriptors, asked in the registry's order; any other
// reference (embedded name, alias, `org/repo[:QUANT]`) goes through the store, which pulls it when
// allowed, and the descriptors then complete what their layouts need beside the stored weights.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles, ModelType } from "../model/types.ts";
import type { RecognizeHint } from "../backends/types.ts";
import { expandHome } from "../config/env.ts";
import { HearthError } from "../errors/HearthError.ts";
import { backendDescriptors, engineFormats } from "../backends/registry.ts";
import { resolveName, type StoreResolveOptions } from "../store/resolveName.ts";

/** Options of `resolveModel()`: the store's (pull, home, progress, signal) and what the caller knows of the model. */
export interface ResolveOptions extends StoreResolveOptions {
  /** what the caller expects (SDK classes know: Embedder -> "embedder"); it wins over a guess */
  type?: ModelType;
  /** a multimodal projector (path) to run the model with: makes it a VLM */
  mmproj?: string;
  /** side files named apart from the model (paths): e.g. a diarizer's `embedding` model */
  side?: Record<string, string>;
}

/** A reference that names a file or folder rather than a store model. */
export function looksLikePath(ref: string): boolean {
  return ref.startsWith(".") || ref.startsWith("/") || ref.startsWith("~") || /\.(gguf|onnx|bin)$/i.test(ref);
}

/** The files a reference names: a path or release folder (recognised by each engine's layout), an embedded name, an alias, or `org/repo[:QUANT]` (pulled unless `pull: false`). */
export async function resolveModel(ref: string, options: ResolveOptions = {}): Promise<ModelFiles> {
  if (typeof ref !== "string" || !ref.trim()) {
    throw new HearthError("bad_input", "a model reference is required", { hint: "give a store name, an alias or a path" });
  }
  const side = options.side && Object.fromEntries(Object.entries(options.side).map(([k, v]) => [k, path.resolve(expandHome(v))]));
  const hint: RecognizeHint = { type: options.type, side };
  let files = looksLikePath(ref) ? await resolvePath(path.resolve(expandHome(ref)), hint) : await resolveStored(ref, options, hint);
  if (options.type) files = { ...files, type: options.type };
  if (options.mmproj) {
    const mmproj = path.resolve(expandHome(options.mmproj));
    if (!existsSync(mmproj)) throw new HearthError("model_not_found", `no mmproj file at ${mmproj}`, { hint: "check the --mmproj path" });
    files = { ...files, mmproj, type: "vlm" };
  }
  return files;
}

/** The first descriptor, in the registry's order, that recognises the path as its layout. */
async function recognize(target: string, hint: RecognizeHint): Promise<ModelFiles | undefined> {
  for (const d of backendDescriptors()) {
    const files = await d.recognize?.(target, hint);
    if (files) return files;
  }
  return undefined;
}

async function resolvePath(target: string, hint: RecognizeHint): Promise<ModelFiles> {
  if (!existsSync(target)) throw new HearthError("model_not_found", `no model file at ${target}`, { hint: "check the path" });
  const files = await recognize(target, hint);
  if (files) return files;
  if (statSync(target).isDirectory()) {
    const names = readdirSync(target).sort();
    throw new HearthError(
      "model_not_found",
      `no model file in the folder ${target} that an engine here reads${names.length ? ` (it holds ${names.slice(0, 6).join(", ")}${names.length > 6 ? ", ..." : ""})` : ""}`,
      {
        hint: `give the model file itself, or a folder as the model's release ships it (formats read here: ${engineFormats().join(", ")})`,
      },
    );
  }
  throw new HearthError("bad_input", `${target} is not a model file an engine here reads`, {
    hint: `give a model file in a format read here: ${engineFormats().join(", ")}`,
  });
}

/** Store files, completed by the descriptor whose layout they are (a TTS model's tokens and voices). */
async function resolveStored(ref: string, options: ResolveOptions, hint: RecognizeHint): Promise<ModelFiles> {
  const stored = await resolveName(ref, { formats: engineFormats(), ...options });
  // the store's type (from the repo's pipeline tag or GGUF header) informs layouts that cannot tell
  const known = { ...hint, type: hint.type ?? stored.type };
  // release layouts are folders (a sherpa voice, a diffusers pipeline), so the model's folder is asked
  // first; it may also hold several quants, which no layout claims, and then the store's choice decides
  const recognized = (await recognize(stored.dir, known).catch(() => undefined)) ?? (await recognize(stored.primary, known));
  if (!recognized || recognized.format !== stored.format) return stored;
  const samePrimary = recognized.primary === stored.primary;
  return {
    ...stored,
    primary: recognized.primary,
    type: recognized.type,
    extra: stored.extra || recognized.extra ? { ...stored.extra, ...recognized.extra } : undefined,
    shards: stored.shards ?? recognized.shards,
    mmproj: stored.mmproj ?? recognized.mmproj,
    sha256: samePrimary ? stored.sha256 : undefined,
  };
}
