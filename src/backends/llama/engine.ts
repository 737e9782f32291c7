// What one loaded text model holds: node-llama-cpp's model and context, the context's sequences, and
// the helper's token loop where the context has one.
import type { ChatWrapper, Llama, LlamaContext, LlamaModel } from "node-llama-cpp";
import type { SequencePool } from "./sequencePool.ts";
import type { TokenLoop } from "./tokenLoop.ts";

export interface Engine {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  pool: SequencePool;
  chatWrapper: ChatWrapper;
  /** e.g. "llama/cpu" */
  device: string;
  /** the load-time seed: sampling uses it when a request gives none */
  seed?: number;
  /** the helper's native token loop, where this context has one (tokenLoop.ts) */
  loop?: TokenLoop;
}

/**
 * Runs node-llama-cpp calls that change a sequence's cells where the engine's token loop waits between
 * two steps, without blocking JavaScript meanwhile (ContextLoop.parked); at once where it has none.
 */
export function changeCells<T>(e: Engine, change: () => Promise<T>): Promise<T> {
  return e.loop ? e.loop.parked(change) : change();
}
