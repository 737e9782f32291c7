// Turns what a user typed into model files: a path (`./model.gguf`, no store involved), an embedded
// model name (`ocr`), an alias (`qwen3`), or a store name `org/repo[:QUANT]`. A store name that is
// not installed is pulled (as `hearth pull` does) unless pull: false.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import os from "node:os";
import type { ModelFiles, ModelType } from "../model/types.ts";
import { readEnv } from "../config/env.ts";
import { HearthError } from "../errors/HearthError.ts";
import { readGgufFacts } from "../formats/ggufFacts.ts";
import { sherpaModelKind } from "../formats/speechOnnx.ts";
import { diffusersFiles } from "../formats/diffusersLayout.ts";
import { expandAlias } from "./aliases.ts";
import { embeddedModel } from "./embedded.ts";
import { primaryOf } from "./layout.ts";
import { modelDir, readManifest, type Manifest } from "./manifest.ts";
import { parseModelRef } from "./names.ts";
import { pullModel, type PullEvent } from "./pull.ts";
import { QUANT_PREFERENCE } from "./quantChoice.ts";

/** Options of `resolveModel()`. */
export interface ResolveOptions {
  /** what the caller expects (SDK classes know: Embedder -> "embedder") */
  type?: ModelType;
  /** pull a store model that is not installed (default true) */
  pull?: boolean;
  /** progress of that pull */
  onProgress?: (e: PullEvent) => void;
  /** HEARTH_HOME; default from the environment */
  home?: string;
  signal?: AbortSignal;
}

function expandHome(p: string) {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

export function looksLikePath(ref: string): boolean {
  return ref.startsWith(".") || ref.startsWith("/") || ref.startsWith("~") || /\.(gguf|onnx)$/i.test(ref);
}

/** The files a reference names: a path, an embedded name, an alias or a store name (pulled unless `pull: false`). */
export async function resolveModel(ref: string, options: ResolveOptions = {}): Promise<ModelFiles> {
  if (looksLikePath(ref)) return resolvePath(ref, options);
  const embedded = !ref.includes("/") ? embeddedModel(ref) : undefined;
  if (embedded) return embedded.modelFiles;
  const home = options.home ?? readEnv().home;
  const expanded = expandAlias(ref);
  if (!expanded.includes("/") && !/[\\\0]/.test(expanded)) {
    // a bare word that is no alias or embedded model: an unknown name (as a server's clients send), not malformed input
    throw new HearthError("model_not_found", `no model named "${ref}": it is not an alias, an embedded model or org/repo`, {
      hint: "see hearth list, or give org/repo from huggingface.co",
    });
  }
  const { repo, quant } = parseModelRef(expanded);
  const installed = readManifest(home, repo);
  const files = installed && filesFromManifest(home, installed, quant);
  if (files) return withType(files, options.type);
  if (options.pull === false) {
    throw new HearthError(installed ? "not_downloaded" : "model_not_found", `${quant ? `${repo}:${quant}` : repo} is not in the store`, {
      hint: `run: hearth pull ${quant ? `${repo}:${quant}` : repo}`,
    });
  }
  const pulled = await pullModel(ref, { home, onEvent: options.onProgress, signal: options.signal });
  const after = filesFromManifest(home, pulled.manifest, pulled.quant);
  if (!after) throw new HearthError("internal", `${repo} was pulled but its files are not in the store`, { hint: "run: hearth clean, then pull again" });
  return withType(after, options.type);
}

function withType(files: ModelFiles, type: ModelType | undefined): ModelFiles {
  return type ? { ...files, type } : files;
}

/** The downloaded files of one quant (the one asked for, else the preferred one installed). */
export function filesFromManifest(home: string, m: Manifest, quant?: string): ModelFiles | undefined {
  const have = m.quants.filter((q) => q.downloaded);
  const q = quant
    ? have.find((x) => x.name.toUpperCase() === quant.toUpperCase())
    : QUANT_PREFERENCE.map((n) => have.find((x) => x.name === n)).find(Boolean) ?? [...have].sort((a, b) => a.size - b.size)[0];
  if (!q) return undefined;
  const dir = modelDir(home, m.repo);
  const abs = (p: string) => path.join(dir, p);
  if (!q.files.every((p) => existsSync(abs(p)))) return undefined;
  const diffusers = diffusersFiles(dir); // until the one resolver asks each engine's descriptor (issue 13a)
  if (diffusers) return diffusers;
  const primary = primaryOf(m.format, q.files);
  const rec = (p: string) => m.files.find((f) => f.path === p);
  const mmproj = m.files.find((f) => f.role === "mmproj" && f.downloaded);
  const extra: Record<string, string> = {};
  for (const f of m.files) {
    if (!f.downloaded || f.role === "mmproj" || q.files.includes(f.path)) continue;
    if (f.quant) continue; // another quant's weights
    extra[f.path] = abs(f.path);
  }
  // ONNX side files (external data, other variants) of the same weight set
  for (const p of q.files) if (p !== primary && m.format === "onnx") extra[p] = abs(p);
  return {
    dir,
    primary: abs(primary),
    shards: m.format === "gguf" && q.files.length > 1 ? q.files.slice(1).map(abs) : undefined,
    mmproj: mmproj ? abs(mmproj.path) : undefined,
    extra: Object.keys(extra).length > 0 ? extra : undefined,
    format: m.format,
    type: m.type,
    sha256: rec(primary)?.sha256,
  };
}

async function resolvePath(ref: string, options: ResolveOptions): Promise<ModelFiles> {
  const file = path.resolve(expandHome(ref));
  if (existsSync(file) && statSync(file).isDirectory()) return resolveFolder(file, options);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new HearthError("model_not_found", `no model file at ${file}`, { hint: "check the path" });
  }
  const ext = path.extname(file).toLowerCase();
  if (ext !== ".gguf" && ext !== ".onnx") {
    throw new HearthError("bad_input", `${file} is not a .gguf or .onnx file`, { hint: "give a GGUF or ONNX model file" });
  }
  const diffusers = ext === ".onnx" ? diffusersFiles(file) : undefined; // until the one resolver (issue 13a)
  if (diffusers) return diffusers;
  if (ext === ".onnx") return { dir: path.dirname(file), primary: file, format: "onnx", type: options.type ?? onnxTypeOf(file) };
  const type = options.type ?? (await readGgufFacts(file)).typeGuess ?? "llm";
  return { dir: path.dirname(file), primary: file, format: "gguf", type };
}

/** A speech ONNX model's type from its metadata (sherpa-onnx exporters write it); else computer vision. */
function onnxTypeOf(file: string): ModelType {
  const kind = safeKind(file);
  return kind === "tts" ? "tts" : kind === "diarize-segmentation" ? "diarize" : "cv";
}

function safeKind(file: string) {
  try {
    return sherpaModelKind(file);
  } catch {
    return undefined;
  }
}

/**
 * A folder as model releases ship them: a sherpa-onnx speech model (TTS: model.onnx beside
 * tokens.txt; diarization: the segmentation and the speaker embedding models), or a folder that
 * holds exactly one model file (.gguf, with its mmproj-*.gguf if there is one, or .onnx).
 */
async function resolveFolder(dir: string, options: ResolveOptions): Promise<ModelFiles> {
  const diffusers = diffusersFiles(dir); // until the one resolver asks each engine's descriptor (issue 13a)
  if (diffusers) return diffusers;
  const names = readdirSync(dir).sort();
  const onnx = names.filter((n) => /\.onnx$/i.test(n)).map((n) => path.join(dir, n));
  const kinds = onnx.map((f) => ({ f, kind: safeKind(f) }));
  const segmentation = kinds.find((k) => k.kind === "diarize-segmentation");
  if (segmentation) {
    const embedding = kinds.find((k) => k.kind === "speaker-embedding");
    return { dir, primary: segmentation.f, format: "onnx", type: options.type ?? "diarize", extra: embedding ? { embedding: embedding.f } : undefined };
  }
  const tts = kinds.find((k) => k.kind === "tts");
  if (tts) return { dir, primary: tts.f, format: "onnx", type: options.type ?? "tts" };
  const projectors = names.filter((n) => /\.gguf$/i.test(n) && /mmproj/i.test(n));
  const models = [...names.filter((n) => /\.gguf$/i.test(n) && !/mmproj/i.test(n)), ...names.filter((n) => /\.onnx$/i.test(n))];
  if (models.length === 1) {
    const files = await resolvePath(path.join(dir, models[0]), options);
    if (files.format === "gguf" && projectors.length === 1) return { ...files, mmproj: path.join(dir, projectors[0]), type: options.type ?? "vlm" };
    return files;
  }
  if (models.length === 0) {
    throw new HearthError("model_not_found", `no model file in the folder ${dir}`, { hint: "give a folder with a .gguf or .onnx model, or the model file itself" });
  }
  throw new HearthError("bad_input", `the folder ${dir} holds ${models.length} models (${models.join(", ")})`, { hint: "give the model file itself" });
}
