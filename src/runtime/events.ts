// What the runtime tells the faces about: a model moved to another device (fallback), a runner
// died. The server shows these in /health and /metrics; the CLI prints the one line.
import { EventEmitter } from "node:events";
import type { DeviceKind } from "../model/types.ts";

/** A model moved to another engine or device because one failed. */
export interface FallbackEvent {
  /** the model as the user named it, or its primary file */
  model: string;
  from: { backend: string; device: DeviceKind };
  to: { backend: string; device: DeviceKind };
  /** why, in one line: "load failed: ...", "runner crashed twice", "decode 3.1 tok/s, under a third of the expected 40" */
  reason: string;
  /** ISO time */
  at: string;
}

/** A runner process (an engine in its own process) ended. */
export interface RunnerExitEvent {
  model: string;
  backend: string;
  device: DeviceKind;
  code: number | null;
  signal: string | null;
  at: string;
}

/** The events of `runtimeEvents`, by name. */
export interface RuntimeEventMap {
  fallback: [FallbackEvent];
  runnerExit: [RunnerExitEvent];
}

/** One emitter for the process: the runtime emits, faces listen. */
export const runtimeEvents = new EventEmitter<RuntimeEventMap>();

const history: FallbackEvent[] = [];
runtimeEvents.on("fallback", (e) => {
  history.push(e);
  if (history.length > 100) history.shift();
});

/** Fallbacks seen by this process, oldest first (at most 100). */
export function fallbackHistory(): readonly FallbackEvent[] {
  return history;
}
