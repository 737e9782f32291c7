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

/**
 * Sorts the context's queued decodes by sequence id before each batch is built. Wraps the context's
 * dispatch (node-llama-cpp 3.21.1, pinned); returns false, changing nothing, where the context is not
 * shaped as expected.
 */
export function orderBatchesBySequence(context: LlamaContext): boolean {
  const c = context as unknown as { _queuedDecodes?: QueuedDecode[]; dispatchPendingBatch?: () => void };
  if (!Array.isArray(c._queuedDecodes) || typeof c.dispatchPendingBatch !== "function") return false;
  const dispatch = c.dispatchPendingBatch.bind(context);
  Object.defineProperty(context, "dispatchPendingBatch", {
    value: () => {
      // a stable sort: a sequence's own decodes keep their order
      c._queuedDecodes?.sort((a, b) => a.sequenceId - b.sequenceId);
      return dispatch();
    },
    configurable: true,
    writable: true,
  });
  return true;
}
