// Turns what a user typed (a store name `org/repo[:QUANT]`, an alias, or a path) into model files.
// This first version handles plain paths; the store work adds store names, aliases and pull-on-demand.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import os from "node:os";
import type { ModelFiles, ModelType } from "../backends/types.ts";
import { HearthError } from "../errors/HearthError.ts";

export interface ResolveOptions {
  /** what the caller expects (SDK classes know: Embedder -> "embedder") */
  type?: ModelType;
}

function expandHome(p: string) {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

export function looksLikePath(ref: string): boolean {
  return ref.startsWith(".") || ref.startsWith("/") || ref.startsWith("~") || /\.(gguf|onnx)$/i.test(ref);
}

export async function resolveModel(ref: string, options: ResolveOptions = {}): Promise<ModelFiles> {
  if (!looksLikePath(ref)) {
    throw new HearthError("model_not_found", `model "${ref}" is not in the store`, { hint: `run: hearth pull ${ref}` });
  }
  const file = path.resolve(expandHome(ref));
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new HearthError("model_not_found", `no model file at ${file}`, { hint: "check the path" });
  }
  const ext = path.extname(file).toLowerCase();
  if (ext !== ".gguf" && ext !== ".onnx") {
    throw new HearthError("bad_input", `${file} is not a .gguf or .onnx file`, { hint: "give a GGUF or ONNX model file" });
  }
  return {
    dir: path.dirname(file),
    primary: file,
    format: ext === ".gguf" ? "gguf" : "onnx",
    type: options.type ?? (ext === ".gguf" ? "llm" : "cv"),
  };
}
