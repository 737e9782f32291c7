// Turns what a user typed into model files: a path (`./model.gguf`, no store involved), an embedded
// model name (`ocr`), an alias (`qwen3`), or a store name `org/repo[:QUANT]`. A store name that is
// not installed is pulled (as `hearth pull` does) unless pull: false.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import os from "node:os";
import type { ModelFiles, ModelType } from "../backends/types.ts";
import { readEnv } from "../config/env.ts";
import { HearthError } from "../errors/HearthError.ts";
import { readGgufFacts } from "../formats/ggufFacts.ts";
import { expandAlias } from "./aliases.ts";
import { embeddedModel } from "./embedded.ts";
import { primaryOf } from "./layout.ts";
import { modelDir, readManifest, type Manifest } from "./manifest.ts";
import { parseModelRef } from "./names.ts";
import { pullModel, type PullEvent } from "./pull.ts";
import { QUANT_PREFERENCE } from "./quantChoice.ts";

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
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new HearthError("model_not_found", `no model file at ${file}`, { hint: "check the path" });
  }
  const ext = path.extname(file).toLowerCase();
  if (ext !== ".gguf" && ext !== ".onnx") {
    throw new HearthError("bad_input", `${file} is not a .gguf or .onnx file`, { hint: "give a GGUF or ONNX model file" });
  }
  if (ext === ".onnx") return { dir: path.dirname(file), primary: file, format: "onnx", type: options.type ?? "cv" };
  const type = options.type ?? (await readGgufFacts(file)).typeGuess ?? "llm";
  return { dir: path.dirname(file), primary: file, format: "gguf", type };
}
