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
