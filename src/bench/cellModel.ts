// Which files and which engine a cell measures: the model as the store resolves it (plus
// whisper.cpp's ggml files by path), and the engine the cell names or the registry's first fit.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ModelFiles } from "../model/types.ts";
import { backendDescriptors, backendNames, descriptorsFor, runsTextByChoice } from "../backends/registry.ts";
import { resolveModel, type ResolveOptions } from "../store/resolve.ts";
import { HearthError } from "../errors/HearthError.ts";
import type { BenchCell } from "./matrix.ts";

/** The model's files: the store's resolver, plus whisper.cpp's ggml-*.bin files (neither GGUF nor ONNX) by path. */
export async function benchModelFiles(ref: string, options: ResolveOptions = {}): Promise<ModelFiles> {
  if (/\.bin$/i.test(ref)) {
    const file = path.resolve(ref.startsWith("~/") ? path.join(os.homedir(), ref.slice(2)) : ref);
    if (!existsSync(file)) throw new HearthError("model_not_found", `no model file at ${file}`, { hint: "check the path" });
    return { dir: path.dirname(file), primary: file, format: "ggml", type: "asr" };
  }
  return resolveModel(ref, options);
}

/** The engine a cell names, or the first registered one that runs this model on the cell's device. */
export function engineFor(files: ModelFiles, cell: Pick<BenchCell, "backend" | "device">): string {
  if (cell.backend) return cell.backend;
  const all = descriptorsFor(files);
  const d = all.find((x) => x.devices.includes(cell.device)) ?? all[0];
  if (!d) {
    throw new HearthError("unsupported_architecture", `no engine can run ${files.format} ${files.type} model ${files.primary}`, {
      hint: "check the model type and format",
    });
  }
  return d.name;
}

/** Every engine that can run this model on the device: those that list its type, in the registry's
 * order, then those that run it by choice (llama-mm for a text model). What `hearth tune --backend all` measures. */
export function enginesFor(files: ModelFiles, device: BenchCell["device"]): string[] {
  const listed = descriptorsFor(files).filter((d) => d.devices.includes(device)).map((d) => d.name);
  const byChoice = backendDescriptors().filter((d) => runsTextByChoice(d, files) && d.devices.includes(device)).map((d) => d.name);
  return [...listed, ...byChoice.filter((n) => !listed.includes(n))];
}

/** A forced engine may serve a model type it does not list: an LLM runs on any engine that completes text. */
export function filesFor(files: ModelFiles, backend: string | undefined): ModelFiles {
  if (!backend) return files;
  const d = backendDescriptors().find((x) => x.name === backend);
  if (!d) {
    throw new HearthError("backend_unavailable", `unknown backend "${backend}"`, { hint: `choose one of: ${backendNames().join(", ")}` });
  }
  if (!runsTextByChoice(d, files)) return files;
  return { ...files, type: d.modelTypes.find((t) => t === "vlm" || t === "llm") ?? d.modelTypes[0] };
}
