// The persistent thread pool on node-llama-cpp's prebuilt CPU build (threadPool.ts,
// native/llama-threads): it attaches to a real context, the model answers exactly as without it, its
// pool is freed with the context whichever way that goes, and the helper refuses what is not a
// node-llama-cpp context instead of reading it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { getLlama, LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { attachThreadPool, HELPER_PATH, loadHelper } from "../../../src/backends/llama/threadPool.ts";
import { llamaRelease, prebuiltBinsDir } from "../../../src/backends/llama/cpuLibrary.ts";
import { loadBackend } from "../../../src/backends/registry.ts";
import { physicalCores } from "../../../src/devices/cpuCores.ts";
import { ensureFixture } from "../../../fixtures/index.ts";

const linuxX64 = process.platform === "linux" && process.arch === "x64";

async function greedy(model: LlamaModel, pool: boolean): Promise<{ tokens: number[]; attached: unknown }> {
  const context = await model.createContext({ contextSize: 256, threads: 2 });
  const attached = pool ? attachThreadPool(context, model, 2) : undefined;
  const sequence = context.getSequence();
  const tokens: number[] = [];
  for await (const t of sequence.evaluate(model.tokenize("Once upon a time"), { yieldEogToken: true })) {
    tokens.push(t);
    if (tokens.length >= 48) break;
  }
  await context.dispose();
  await context.dispose(); // a second dispose must not free the pool twice
  return { tokens, attached };
}

test("the helper is built with the package on x86-64 Linux (npm run build)", { skip: !linuxX64 && "built on x86-64 Linux" }, () => {
  assert.ok(existsSync(HELPER_PATH), `${HELPER_PATH} is missing: npm run build:native says why`);
  const helper = loadHelper();
  assert.ok(!("reason" in helper), "reason" in helper ? helper.reason : "");
});

test("a pool attaches to a prebuilt CPU context; greedy output is the same token for token, and pools are freed with their contexts", {
  skip: !linuxX64 && "x86-64 Linux",
}, async () => {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: await ensureFixture("tiny"), gpuLayers: 0 });
  try {
    const without = await greedy(model, false);
    for (let i = 0; i < 3; i++) {
      const withPool = await greedy(model, true);
      assert.deepEqual(withPool.attached, { attached: true });
      assert.deepEqual(withPool.tokens, without.tokens);
    }
    // a context disposed through its model (no dispose call of its own) frees its pool too
    const context = await model.createContext({ contextSize: 256, threads: 2 });
    assert.deepEqual(attachThreadPool(context, model, 2), { attached: true });
    await model.dispose();
    assert.equal(context.disposed, true);
  } finally {
    await model.dispose();
    await llama.dispose();
  }
});

test("the helper refuses objects that are not a node-llama-cpp context, and bad arguments, without reading them", {
  skip: !linuxX64 && "x86-64 Linux",
}, async () => {
  const helper = loadHelper();
  assert.ok(!("reason" in helper));
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: await ensureFixture("tiny"), gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const bins = prebuiltBinsDir()!;
    const release = llamaRelease();
    const libs = { llama: `${bins}/libllama.${release}.so`, ggml: `${bins}/libggml.${release}.so`, ggmlBase: `${bins}/libggml-base.so` };
    const native = (o: object, k: string) => (o as Record<string, object>)[k]!;
    // a plain object, and the model's native object where the context's belongs
    assert.match(JSON.stringify(helper.attach({}, native(model, "_model"), libs, 1, 50, 256)), /not a node-llama-cpp context/);
    assert.match(
      JSON.stringify(helper.attach(native(model, "_model"), native(model, "_model"), libs, 1, 50, 256)),
      /model is not this model|layout differs/,
    );
    // the right objects, but the context size the caller believes is wrong: llama.cpp disagrees
    assert.match(JSON.stringify(helper.attach(native(context, "_ctx"), native(model, "_model"), libs, 1, 50, 999)), /layout differs/);
    // libraries that are not the ones loaded
    assert.match(
      JSON.stringify(
        helper.attach(native(context, "_ctx"), native(model, "_model"), { ...libs, llama: "/nonexistent/libllama.so" }, 1, 50, 256),
      ),
      /not the ones loaded/,
    );
    assert.match(JSON.stringify(helper.attach(native(context, "_ctx"), native(model, "_model"), libs, 0, 50, 256)), /out of range/);
    assert.throws(() => (helper.attach as (...a: unknown[]) => unknown)("nope"), TypeError);
    assert.throws(() => (helper.free as (...a: unknown[]) => unknown)({}), TypeError);
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
});

test("the engine runs prebuilt CPU contexts on a persistent pool, says so in its settings, and HEARTH_LLAMA_THREAD_POOL=off turns it off", {
  skip: !linuxX64 && "x86-64 Linux",
}, async () => {
  const backend = await loadBackend("llama");
  const primary = await ensureFixture("tiny");
  const files = { dir: path.dirname(primary), primary, format: "gguf" as const, type: "llm" as const };
  const on = await backend.load(files, { device: "cpu", contextSize: 128, extra: { llamaBuild: "prebuilt" } });
  // several sequences (the server's --parallel): llama.cpp's context holds all their cells
  const parallel = await backend.load(files, { device: "cpu", contextSize: 128, parallel: 3, extra: { llamaBuild: "prebuilt" } });
  const before = process.env.HEARTH_LLAMA_THREAD_POOL;
  process.env.HEARTH_LLAMA_THREAD_POOL = "off";
  const off = await backend.load(files, { device: "cpu", contextSize: 128, extra: { llamaBuild: "prebuilt" } });
  if (before === undefined) delete process.env.HEARTH_LLAMA_THREAD_POOL;
  else process.env.HEARTH_LLAMA_THREAD_POOL = before;
  try {
    if (on.info.settings.llamaBuild === "prebuilt") {
      assert.equal(on.info.settings.threadPool, "persistent", String(on.info.settings.threadPoolNote));
      assert.equal(on.info.settings.threads, physicalCores());
      assert.equal(parallel.info.settings.threadPool, "persistent", String(parallel.info.settings.threadPoolNote));
    } else {
      // this process runs an OpenMP build, whose workers persist already
      assert.equal(on.info.settings.threadPool, undefined);
    }
    assert.equal(off.info.settings.threadPool, undefined);
  } finally {
    await on.dispose();
    await parallel.dispose();
    await off.dispose();
  }
});
