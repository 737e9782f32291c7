// What every sherpa-onnx model shares at load: one error when the engine refuses the files, and the
// info a loaded model reports (CPU only: the npm build links onnxruntime's CPU provider).
import type { LoadedModelInfo } from "../types.ts";
import type { TaskName } from "../../model/task.ts";
import { HearthError } from "../../errors/HearthError.ts";

/** The engine's object, or an unsupported_architecture error naming the file and what to check. */
export async function createOrExplain<T>(file: string, hint: string, create: () => T | Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (e) {
    throw new HearthError("unsupported_architecture", `sherpa-onnx could not load ${file}: ${e instanceof Error ? e.message : e}`, {
      hint,
      cause: e,
    });
  }
}

export function sherpaInfo(task: TaskName, t0: number, settings: Record<string, unknown>): LoadedModelInfo {
  return { backend: "sherpa", device: "cpu", api: "cpu", tasks: [task], loadMs: performance.now() - t0, settings };
}
