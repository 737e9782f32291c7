// Sequences of one context step together where node-llama-cpp's async jobs share one libuv pool
// thread (llama runners start so): each batch then holds every busy sequence's next token. The
// stepping must never hold a stream up for good: streams of different lengths, one aborted halfway
// and one that starts while the others generate all finish, and the context serves after them.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadBackend } from "../../../src/backends/registry.ts";
import type { TaskEvent } from "../../../src/model/task.ts";
import { ensureFixture } from "../../../fixtures/index.ts";
import { NO_END_BIAS } from "../../../fixtures/vocab.ts";

for (const loop of ["off", "on"] as const)
  test(`four streams stepping together: different lengths, an abort and a late start all finish (native token loop ${loop})`, {
    timeout: 180_000,
  }, async () => {
    // off: node-llama-cpp's stepping (sequencePool.ts); on: the helper's loop (tokenLoop.ts), its batches shared
    const loopBefore = process.env.HEARTH_LLAMA_TOKEN_LOOP;
    if (loop === "off") process.env.HEARTH_LLAMA_TOKEN_LOOP = "off";
    const before = process.env.UV_THREADPOOL_SIZE;
    process.env.UV_THREADPOOL_SIZE = "1"; // read when the context's sequences are made
    const primary = await ensureFixture("tiny");
    const backend = await loadBackend("llama");
    const model = await backend.load(
      { dir: path.dirname(primary), primary, format: "gguf", type: "llm" },
      {
        device: "cpu",
        threads: 1,
        contextSize: 2048,
        parallel: 4,
      },
    );
    if (before === undefined) delete process.env.UV_THREADPOOL_SIZE;
    else process.env.UV_THREADPOOL_SIZE = before;
    const run = async (prompt: string, maxTokens: number, signal?: AbortSignal, onText?: () => void) => {
      let tokens = 0;
      let result: Extract<TaskEvent, { type: "result" }> | undefined;
      for await (const e of model.run(
        { task: "complete", prompt, sampling: { temperature: 0, maxTokens, logitBias: NO_END_BIAS } },
        signal,
      )) {
        if (e.type === "text") {
          tokens++;
          onText?.();
        }
        if (e.type === "result") result = e;
      }
      return { tokens, result };
    };
    try {
      const abort = new AbortController();
      const late = (async () => {
        await new Promise((r) => setTimeout(r, 50));
        return run("a late start", 30);
      })();
      // aborted at its first text: the loop makes the tiny model too fast for a timer
      const aborted = run("stopped halfway", 400, abort.signal, () => abort.abort()).catch((e: unknown) => e);
      const [short, long, lateRun, stopped] = await Promise.all([run("short one", 4), run("longer one", 60), late, aborted]);
      // no end token can be picked (NO_END_BIAS): each runs to its maxTokens
      const count = (r: typeof short) =>
        (r.result?.result as { usage?: { completionTokens: number } } | undefined)?.usage?.completionTokens;
      assert.deepEqual([short, long, lateRun].map(count), [4, 60, 30]);
      assert.ok(stopped instanceof Error && /abort/i.test(stopped.message), String(stopped));
      // the context serves on after all that
      const after = await run("and after", 8);
      assert.equal(count(after), 8);
    } finally {
      await model.dispose();
      if (loopBefore === undefined) delete process.env.HEARTH_LLAMA_TOKEN_LOOP;
      else process.env.HEARTH_LLAMA_TOKEN_LOOP = loopBefore;
    }
  });
