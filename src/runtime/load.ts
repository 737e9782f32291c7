// Loads a model for the layers above (SDK, server). Today: the first registered engine that can run
// the model, in this process. The planner/runner work extends this with device choice, isolation in
// a runner process and fallback; callers keep calling loadModel.
import type { LoadedModel, LoadOptions, ModelFiles, DeviceKind } from "../backends/types.ts";
import { descriptorsFor, loadBackend } from "../backends/registry.ts";
import { HearthError } from "../errors/HearthError.ts";

export interface RuntimeLoadOptions extends Partial<LoadOptions> {
  /** force an engine by name */
  backend?: string;
  /** "auto" lets hearth choose */
  device?: DeviceKind;
}

export async function loadModel(files: ModelFiles, options: RuntimeLoadOptions = {}): Promise<LoadedModel> {
  const candidates = descriptorsFor(files).filter((d) => !options.backend || d.name === options.backend);
  if (candidates.length === 0) {
    throw new HearthError("unsupported_architecture", `no engine can run ${files.format} ${files.type} model ${files.primary}`, {
      hint: options.backend ? `backend "${options.backend}" does not support it; omit --backend` : "check the model type and format",
    });
  }
  const backend = await loadBackend(candidates[0].name);
  return backend.load(files, { ...options, device: options.device ?? "cpu" });
}
