// Turns a name into the files the store holds for it: an embedded model name (`ocr`), an alias
// (`qwen3`), or a store name `org/repo[:QUANT]`. A store name that is not installed is pulled (as
// `hearth pull` does) unless pull: false. Paths are the resolver's (src/resolve/), which asks the
// engines' descriptors.
import { existsSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../model/types.ts";
import { readEnv } from "../config/env.ts";
import { HearthError } from "../errors/HearthError.ts";
import { expandAlias } from "./aliases.ts";
import { embeddedModel } from "./embedded.ts";
import { primaryOf } from "./layout.ts";
import { modelDir, readManifest, type Manifest } from "./manifest.ts";
import { parseModelRef } from "./names.ts";
import { pullModel, type PullEvent, type PullOptions } from "./pull.ts";
import { QUANT_PREFERENCE } from "./quantChoice.ts";

export interface StoreResolveOptions {
  /** pull a store model that is not installed (default true) */
  pull?: boolean;
  /** progress of that pull */
  onProgress?: (e: PullEvent) => void;
  /** HEARTH_HOME; default from the environment */
  home?: string;
  signal?: AbortSignal;
  /** the formats the engines here read: a pull of a repo in another format is refused */
  formats?: PullOptions["formats"];
}

/** The files of a name (not a path): embedded, alias or org/repo[:QUANT], pulled when allowed. */
export async function resolveName(ref: string, options: StoreResolveOptions = {}): Promise<ModelFiles> {
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
  if (files) return files;
  if (options.pull === false) {
    throw new HearthError(installed ? "not_downloaded" : "model_not_found", `${quant ? `${repo}:${quant}` : repo} is not in the store`, {
      hint: `run: hearth pull ${quant ? `${repo}:${quant}` : repo}`,
    });
  }
  const pulled = await pullModel(ref, { home, onEvent: options.onProgress, signal: options.signal, formats: options.formats });
  const after = filesFromManifest(home, pulled.manifest, pulled.quant);
  if (!after)
    throw new HearthError("internal", `${repo} was pulled but its files are not in the store`, {
      hint: "run: hearth clean, then pull again",
    });
  return after;
}

/** The downloaded files of one quant (the one asked for, else the preferred one installed). */
export function filesFromManifest(home: string, m: Manifest, quant?: string): ModelFiles | undefined {
  const have = m.quants.filter((q) => q.downloaded);
  const q = quant
    ? have.find((x) => x.name.toUpperCase() === quant.toUpperCase())
    : (QUANT_PREFERENCE.map((n) => have.find((x) => x.name === n)).find(Boolean) ?? [...have].sort((a, b) => a.size - b.size)[0]);
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
