// Several sequences' tokens go into a batch in rising sequence id order, whatever order the sequences
// asked in: llama.cpp splits a batch for per-sequence KV streams into runs of consecutive ids, so
// another order costs extra graph computes per step (src/backends/llama/batchOrder.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { orderBatchesBySequence } from "../../../src/backends/llama/batchOrder.ts";
import { ensureFixture } from "../../../fixtures/index.ts";

test("four sequences asking in reverse order are batched in rising id order", { timeout: 120_000 }, async () => {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: await ensureFixture("tiny") });
  const context = await model.createContext({ contextSize: 1024, sequences: 4, threads: 1 });
  try {
    // the pinned node-llama-cpp is shaped as the wrapper expects (false would mean the order is left as is)
    assert.equal(orderBatchesBySequence(context), true);
    const addon = (context as unknown as { _ctx: { addToBatch: (id: number, ...rest: unknown[]) => unknown } })._ctx;
    const addToBatch = addon.addToBatch.bind(addon);
    const batched: number[] = [];
    Object.defineProperty(addon, "addToBatch", {
      value: (id: number, ...rest: unknown[]) => {
        batched.push(id);
        return addToBatch(id, ...rest);
      },
      configurable: true,
    });
    const sequences = [0, 1, 2, 3].map(() => context.getSequence());
    const tokens = model.tokenize("hello world");
    // asked for in reverse, in one turn of the event loop: one batch
    await Promise.all([...sequences].reverse().map((s) => s.evaluateWithoutGeneratingNewTokens(tokens)));
    // the context's sequences are ids 0 to 3, in the order they were taken
    assert.deepEqual(batched, [0, 1, 2, 3]);
  } finally {
    await context.dispose();
    await model.dispose();
  }
});
