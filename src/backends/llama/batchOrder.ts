// The order of a step's tokens in the batch, for contexts with several sequences.
//
// node-llama-cpp's contexts give each sequence a KV stream of its own (llama.cpp's non-unified cache),
// and llama.cpp then splits a batch into ubatches of sequences whose ids rise by one, taken in the
// batch's order (llama_batch_allocr::split_equal): four sequences' tokens queued as 0,1,2,3 are one
// graph compute, as 1,2,3,0 two, as 3,2,1,0 four. node-llama-cpp queues the decodes in the order the
// sequences ask, which rotates with the requests; four server streams decoded 4-token steps in
// 35-37 ms when the order happened to be rising and 43-54 ms otherwise (docs/benchmarks.md).
import type { LlamaContext } from "node-llama-cpp";

interface QueuedDecode {
  sequenceId: number;
}

/** A queue that keeps its decodes in rising sequence id order as they are pushed (a sequence's own
 * decodes keep their order), so every batch node-llama-cpp builds from it, whenever it builds one, is
 * in that order. */
class BySequence extends Array<QueuedDecode> {
  // what filter, splice and the like return: plain arrays
  static override get [Symbol.species]() {
    return Array;
  }

  override push(...items: QueuedDecode[]): number {
    for (const item of items) {
      let at = this.length;
      while (at > 0 && this[at - 1].sequenceId > item.sequenceId) at--;
      this.splice(at, 0, item);
    }
    return this.length;
  }
}

/**
 * Replaces the context's queue of decodes with one kept in sequence id order (node-llama-cpp 3.21.1,
 * pinned, only pushes to it, splices from it and reads it); returns false, changing nothing, where the
 * context is not shaped as expected.
 */
export function orderBatchesBySequence(context: LlamaContext): boolean {
  const c = context as unknown as { _queuedDecodes?: QueuedDecode[] };
  if (!Array.isArray(c._queuedDecodes)) return false;
  const queue = new BySequence();
  queue.push(...c._queuedDecodes);
  c._queuedDecodes = queue;
  return true;
}
