// Memory arithmetic: how much context fits, how many layers fit on a GPU. Estimates come from
// formats/ggufFacts.ts estimateMemoryBytes (weights + f16 KV cache).
import { estimateMemoryBytes, type ModelFacts } from "../formats/ggufFacts.ts";

/** llama.cpp's compute buffers and scratch: kept free on every device */
export const COMPUTE_RESERVE_BYTES = 512 * 1024 * 1024;
/** smallest context worth planning for */
export const MIN_CONTEXT = 512;
/** a q8_0 KV cache is about 8.5/16 the size of f16 */
const Q8_RATIO = 8.5 / 16;

export function kvBytes(facts: ModelFacts, contextSize: number, kv: "f16" | "q8_0" = "f16"): number {
  const f16 = estimateMemoryBytes(facts, 0, contextSize) ?? 0;
  return kv === "q8_0" ? f16 * Q8_RATIO : f16;
}

/** The largest context (a power-of-two step down from the trained one) whose KV cache fits `budget`. */
export function contextThatFits(facts: ModelFacts, trained: number, budget: number, kv: "f16" | "q8_0" = "f16"): number | undefined {
  for (let ctx = trained; ctx >= MIN_CONTEXT; ctx = ctx > MIN_CONTEXT && ctx / 2 < MIN_CONTEXT ? MIN_CONTEXT : Math.floor(ctx / 2)) {
    if (kvBytes(facts, ctx, kv) <= budget) return ctx;
    if (ctx === MIN_CONTEXT) break;
  }
  return undefined;
}

/** Context and KV type for a memory budget left after the weights: f16 unless q8_0 keeps (much) more context. */
export function chooseContext(facts: ModelFacts, trained: number, budget: number): { contextSize?: number; kvCacheType: "f16" | "q8_0" } {
  const f16 = contextThatFits(facts, trained, budget, "f16");
  if (f16 === trained) return { contextSize: f16, kvCacheType: "f16" };
  const q8 = contextThatFits(facts, trained, budget, "q8_0");
  if (q8 !== undefined && (f16 === undefined || q8 > f16)) return { contextSize: q8, kvCacheType: "q8_0" };
  return { contextSize: f16, kvCacheType: "f16" };
}

/** Layers of `layers` that fit in `budget` bytes, each carrying its share of weights and KV. */
export function layersThatFit(facts: ModelFacts, weightsBytes: number, contextSize: number, budget: number): number {
  const layers = facts.layers ?? 0;
  if (!layers) return 0;
  // the output layer counts like one more block (llama.cpp offloads layers + 1)
  const perLayer = weightsBytes / (layers + 1) + kvBytes(facts, contextSize) / layers;
  return Math.max(0, Math.min(layers, Math.floor(budget / perLayer)));
}
