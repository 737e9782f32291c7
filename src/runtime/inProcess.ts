// Engines loaded into this process, and the pairs that must not share one. node-llama-cpp (engine
// "llama") and @fugood/llama.node ("llama-mm") each carry their own llama.cpp and ggml; with both in
// one process, a tiny model decoding on each at once crashed it in 8 of 10 runs (double free, SIGSEGV,
// SIGILL, abort; 5 of 7 on the local OpenMP build, 3 of 3 on the prebuilt), and each engine alone ran
// the same load 3 of 3 times (2026-11-25, 450 requests per run). whisper.node beside node-llama-cpp
// ran 3 of 3. A native addon stays loaded after its model is disposed, so an engine counts as here
// from its first load attempt on.
import { unsetOf } from "../config/env.ts";
import { engineDescriptors } from "./engines.ts";

const here = new Set<string>();

export interface Placement {
  /** load into a runner process */
  runner: boolean;
  /** why a runner although the caller asked for none: the engine already here that it must not join */
  conflict?: string;
}

/** Where an engine loads: in a runner where the caller asks (isolate: true), where the engine asks
 * for its own process and the caller did not say (isolate undefined), and always where an engine
 * already in this process must not share it (a crash there is worse than a process hop). */
export async function placement(backend: string, isolate: boolean | undefined): Promise<Placement> {
  if (isolate) return { runner: true };
  const d = (await engineDescriptors()).find((e) => e.name === backend);
  if (isolate === undefined && d?.ownProcess) return { runner: true };
  const conflict = d?.inProcessConflicts?.find((other) => here.has(other));
  return conflict ? { runner: true, conflict } : { runner: false };
}

/** Records that `backend` is (being) loaded into this process. */
export function loadingInProcess(backend: string): void {
  here.add(backend);
}

/** The environment a runner of `backend` starts with: its descriptor's runnerEnv, less the
 * variables the user set (theirs win). */
export async function runnerEnv(backend: string): Promise<Record<string, string> | undefined> {
  const d = (await engineDescriptors()).find((e) => e.name === backend);
  if (!d?.runnerEnv) return undefined;
  return unsetOf(d.runnerEnv);
}
