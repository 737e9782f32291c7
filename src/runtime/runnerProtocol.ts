// Messages between the runtime and a runner process (IPC, advanced serialization: typed arrays in
// TaskRequest/TaskEvent travel as themselves).
import type { DeviceProbe, LoadedModelInfo, LoadOptions } from "../backends/types.ts";
import type { ModelFiles } from "../model/types.ts";
import type { TaskEvent, TaskRequest } from "../model/task.ts";

export interface WireError {
  code?: string;
  message: string;
  hint?: string;
}

export type ToRunner =
  | { type: "load"; backend: string; files: ModelFiles; options: LoadOptions; probes?: DeviceProbe[] }
  | { type: "probe"; backend: string }
  | { type: "run"; id: number; request: TaskRequest }
  | { type: "abort"; id: number }
  | { type: "dispose" };

export type FromRunner =
  | { type: "loaded"; info: LoadedModelInfo }
  | { type: "loadFailed"; error: WireError }
  | { type: "probes"; probes: DeviceProbe[] }
  /** events produced since the last message, per request, in order (one IPC message per turn of the
   * runner's event loop for all its requests, not one per token and stream) */
  | { type: "events"; batches: { id: number; events: TaskEvent[] }[] }
  | { type: "done"; id: number }
  | { type: "failed"; id: number; error: WireError }
  | { type: "disposed" };

export function toWireError(e: unknown): WireError {
  if (e && typeof e === "object" && "message" in e) {
    const o = e as { code?: unknown; message: unknown; hint?: unknown };
    return {
      code: typeof o.code === "string" ? o.code : undefined,
      message: String(o.message),
      hint: typeof o.hint === "string" ? o.hint : undefined,
    };
  }
  return { message: String(e) };
}
