// What the CV SDK classes share: finding the model files (embedded "ocr", store names, paths) and
// running one task to its result.
import type { LoadedModel } from "../backends/types.ts";
import type { ModelFiles } from "../model/types.ts";
import type { TaskRequest, TaskResults } from "../model/task.ts";
import { onnxTaskOf } from "../backends/onnx/task.ts";
import { HearthError } from "../errors/HearthError.ts";
import { resolveModel, type ResolveOptions } from "../resolve/resolveModel.ts";
import { readMediaSource, type MediaInputOptions, type MediaSource } from "./mediaInput.ts";

/** Model files for a CV reference: an embedded name ("ocr"), a store name, a path, or files as they are. */
export async function cvFiles(ref: string | ModelFiles, resolve: ResolveOptions = {}): Promise<ModelFiles> {
  if (typeof ref !== "string") return ref;
  return resolveModel(ref, { ...resolve, type: "cv" });
}

/** What a CV model does ("ocr" or "detect"), from its files. */
export function cvTaskOf(files: ModelFiles): "ocr" | "detect" {
  return onnxTaskOf(files);
}

export async function imageBytes(image: MediaSource, options: MediaInputOptions = {}): Promise<Uint8Array> {
  return (await readMediaSource(image, options)).data;
}

export async function runToResult<K extends "ocr" | "detect">(
  model: LoadedModel,
  request: Extract<TaskRequest, { task: K }>,
  signal?: AbortSignal,
): Promise<TaskResults[K]> {
  for await (const e of model.run(request, signal)) {
    if (e.type === "result") return e.result as TaskResults[K];
  }
  throw new HearthError("internal", "the engine ended without a result");
}
