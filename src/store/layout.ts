// How a hub repo's files become models: GGUF weights grouped by quant (split files
// `-00001-of-00003.gguf` joined in order), projectors (`mmproj*.gguf`) beside them, whisper.cpp ggml
// variants, or a non-GGUF repo (ONNX, .nexa, safetensors: MLX is told from safetensors by content, in
// foreignFormats.ts) whose files are all needed together.
import path from "node:path";
import { parseGGUFQuantLabel, parseGgufShardFilename } from "@huggingface/gguf";
import type { ModelFormat } from "../model/types.ts";
import type { RemoteFile } from "../hub/client.ts";
import type { ManifestFile } from "./manifest.ts";

export interface RemoteQuant {
  /** e.g. "Q4_K_M"; "DEFAULT" for repos with one set of weights */
  name: string;
  size: number;
  /** weight files in load order (first shard first) */
  files: RemoteFile[];
}

export interface RepoLayout {
  format: ModelFormat;
  quants: RemoteQuant[];
  /** multimodal projectors, best first */
  mmproj: RemoteFile[];
  /** files fetched with any quant: tokenizer, config... (non-GGUF repos) */
  shared: RemoteFile[];
}

const isGguf = (p: string) => /\.gguf$/i.test(p);
const isMmproj = (p: string) => /mmproj/i.test(path.posix.basename(p)) && isGguf(p);
const isGgml = (p: string) => /(^|\/)ggml-[^/]+\.bin$/i.test(p);
const isOnnx = (p: string) => /\.onnx(_data)?$/i.test(p) || /\.onnx\.data$/i.test(p);

// Projector precision preference: f16 is what llama.cpp's own conversions ship and runs everywhere.
const MMPROJ_ORDER = ["F16", "Q8_0", "BF16", "F32"];

export function roleOf(p: string): ManifestFile["role"] {
  const base = path.posix.basename(p).toLowerCase();
  if (isMmproj(p)) return "mmproj";
  if (isGguf(p) || isGgml(p) || isOnnx(p) || /\.(safetensors|bin|nexa)$/.test(base)) return "weights";
  if (/^tokenizer|vocab|merges|spiece|sentencepiece|\.model$|\.tiktoken$/.test(base)) return "tokenizer";
  if (/config.*\.json$/.test(base)) return "config";
  return "extra";
}

export function classifyRepo(files: RemoteFile[]): RepoLayout {
  const gguf = files.filter((f) => isGguf(f.path) && !isMmproj(f.path));
  if (gguf.length > 0) {
    const groups = new Map<string, RemoteFile[]>();
    for (const f of gguf) {
      const shard = parseGgufShardFilename(f.path);
      const key = shard ? shard.prefix : f.path;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    const quants: RemoteQuant[] = [];
    for (const [key, group] of groups) {
      group.sort((a, b) => a.path.localeCompare(b.path));
      let name = (parseGGUFQuantLabel(key) ?? path.posix.basename(key).replace(/\.gguf$/i, "")).toUpperCase();
      // two weight sets with the same label (rare: several models in one repo) keep distinct names
      if (quants.some((q) => q.name === name))
        name = path.posix
          .basename(key)
          .replace(/\.gguf$/i, "")
          .toUpperCase();
      quants.push({ name, size: group.reduce((a, f) => a + f.size, 0), files: group });
    }
    const rank = (f: RemoteFile) => {
      const i = MMPROJ_ORDER.indexOf((parseGGUFQuantLabel(f.path) ?? "").toUpperCase());
      return i === -1 ? MMPROJ_ORDER.length : i;
    };
    const mmproj = files.filter((f) => isMmproj(f.path)).sort((a, b) => rank(a) - rank(b));
    return { format: "gguf", quants: sortQuants(quants), mmproj, shared: [] };
  }
  const ggml = files.filter((f) => isGgml(f.path));
  if (ggml.length > 0) {
    const quants = ggml.map((f) => ({
      name: path.posix
        .basename(f.path)
        .replace(/^ggml-/i, "")
        .replace(/\.bin$/i, "")
        .toUpperCase(),
      size: f.size,
      files: [f],
    }));
    return { format: "ggml", quants: sortQuants(quants), mmproj: [], shared: [] };
  }
  // A non-GGUF repo: everything but the git plumbing and the model card is part of the model.
  const wanted = files.filter(
    (f) => !/(^|\/)(\.gitattributes|README\.md|LICENSE.*)$/i.test(f.path) && !/\.(png|jpe?g|gif|webp|mp4)$/i.test(f.path),
  );
  const format: ModelFormat = wanted.some((f) => isOnnx(f.path))
    ? "onnx"
    : wanted.some((f) => /\.nexa$/i.test(f.path))
      ? "nexa"
      : "safetensors";
  const weights = wanted.filter((f) => roleOf(f.path) === "weights");
  const shared = wanted.filter((f) => roleOf(f.path) !== "weights");
  if (weights.length === 0) return { format, quants: [], mmproj: [], shared };
  return {
    format,
    quants: [{ name: "DEFAULT", size: weights.reduce((a, f) => a + f.size, 0), files: weights }],
    mmproj: [],
    shared,
  };
}

function sortQuants(q: RemoteQuant[]): RemoteQuant[] {
  return q.sort((a, b) => a.size - b.size || a.name.localeCompare(b.name));
}

/** The main file of a weight set: the first shard, or for ONNX the plainest model file. */
export function primaryOf(format: ModelFormat, weights: string[]): string {
  if (format !== "onnx") return weights[0];
  const onnx = weights.filter((p) => /\.onnx$/i.test(p));
  const score = (p: string) => {
    const b = path.posix.basename(p).toLowerCase();
    return (b === "model.onnx" ? 0 : 10) + (p.includes("/") ? 1 : 0) + (/quant|q4|int8|uint8|fp16|bnb/.test(b) ? 5 : 0);
  };
  return onnx.sort((a, b) => score(a) - score(b) || a.localeCompare(b))[0] ?? weights[0];
}
