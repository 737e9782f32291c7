// The store's pull, told which formats the engines here read, so a repo none of them runs (MLX,
// .nexa, a safetensors checkpoint) is refused before its weights are downloaded (force: anyway).
import { engineFormats } from "../backends/registry.ts";
import { pullModel as pullIntoStore, type PullOptions, type PullResult } from "../store/pull.ts";

/** Downloads a model into the store (`hearth pull`): quant choice, resumable verified downloads; a repo in a format no engine here reads is refused before its weights download unless `force`. */
export function pullModel(ref: string, options: PullOptions = {}): Promise<PullResult> {
  return pullIntoStore(ref, { formats: engineFormats(), ...options });
}
