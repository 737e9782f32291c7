// hearth's thread helper for node-llama-cpp's CPU contexts (contextThreads.ts, native/llama-threads): a
// persistent pool on the prebuilt build and a decode thread per context. It attaches to real
// contexts, the model answers exactly as without it (also two contexts at once), it ends with the
// context whichever way that goes, and it refuses what is not a node-llama-cpp context instead of
// reading it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { getLlama, LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { attachContextThreads, HELPER_PATH, loadHelper, prebuiltLibraries } from "../../../src/backends/llama/contextThreads.ts";
import { loadBackend } from "../../../src/backends/registry.ts";
import { physicalCores } from "../../../src/devices/cpuCores.ts";
import { ensureFixture } from "../../../fixtures/index.ts";
import type { TaskRequest } from "../../../src/model/task.ts";
import { withEnv } from "../../helpers/env.ts";

const linuxX64 = process.platform === "linux" && process.arch === "x64";

/** Runs `fn` with HEARTH_LLAMA_THREAD_HELPER=off (loads read it). */
const helperOff = <T>(fn: () => Promise<T>): Promise<T> => withEnv("HEARTH_LLAMA_THREAD_HELPER", "off", fn);

async function greedy(model: LlamaModel, helped: boolean, prompt = "Once upon a time"): Promise<{ tokens: number[]; attached: unknown }> {
  const context = await model.createContext({ contextSize: 256, threads: 2 });
  const attached = helped ? attachContextThreads(context, model, 2, true) : undefined;
  const sequence = context.getSequence();
  const tokens: number[] = [];
  for await (const t of sequence.evaluate(model.tokenize(prompt), { yieldEogToken: true })) {
    tokens.push(t);
    if (tokens.length >= 48) break;
  }
  await context.dispose();
  await context.dispose(); // a second dispose must not end the helper twice
  return { tokens, attached };
}

test("the helper is built with the package on x86-64 Linux (npm run build)", { skip: !linuxX64 && "built on x86-64 Linux" }, () => {
  assert.ok(existsSync(HELPER_PATH), `${HELPER_PATH} is missing: npm run build:native says why`);
  const helper = loadHelper();
  assert.ok(!("reason" in helper), "reason" in helper ? helper.reason : "");
});

test("a pool and a decode thread attach to a prebuilt CPU context; greedy output is the same token for token, also with two contexts at once", {
  skip: !linuxX64 && "x86-64 Linux",
}, async () => {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: await ensureFixture("tiny"), gpuLayers: 0 });
  try {
    const without = await greedy(model, false);
    const other = await greedy(model, false, "The quick brown fox");
    for (let i = 0; i < 3; i++) {
      const helped = await greedy(model, true);
      assert.deepEqual(helped.attached, { threadPool: "persistent", decodeThread: "own" });
      assert.deepEqual(helped.tokens, without.tokens);
    }
    const [a, b] = await Promise.all([greedy(model, true), greedy(model, true, "The quick brown fox")]);
    assert.deepEqual([a.tokens, b.tokens], [without.tokens, other.tokens]);
    // a context disposed through its model (no dispose call of its own) ends its helper too
    const context = await model.createContext({ contextSize: 256, threads: 2 });
    assert.deepEqual(attachContextThreads(context, model, 2, false), { decodeThread: "own" });
    await model.dispose();
    assert.equal(context.disposed, true);
  } finally {
    await model.dispose();
    await llama.dispose();
  }
});

test("once a context's decodes stop, its pool's workers sleep instead of polling out ggml's spin", {
  skip: !linuxX64 && "x86-64 Linux",
}, async () => {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: await ensureFixture("tiny"), gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 256, threads: 2 });
  try {
    assert.deepEqual(attachContextThreads(context, model, 2, true), { threadPool: "persistent", decodeThread: "own" });
    const sequence = context.getSequence();
    let n = 0;
    for await (const _ of sequence.evaluate(model.tokenize("Once upon a time"), { yieldEogToken: true })) if (++n >= 32) break;
    // ggml's own poll at the pool's level lasts 1024 * 128 * 50 pause instructions after the last
    // graph: some 140 ms of a core on a Zen 4, longer where a pause is slower. The helper lets the
    // workers poll only while steps may still come (its thread waits 10 ms for its next job).
    await new Promise((r) => setTimeout(r, 30));
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 500));
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    assert.ok(ms < 40, `the process used ${ms.toFixed(1)} ms of CPU in the 500 ms after its last decode`);
    // and the sleeping pool wakes for the next graph
    n = 0;
    for await (const _ of sequence.evaluate(model.tokenize(" and then"), { yieldEogToken: true })) if (++n >= 8) break;
    assert.equal(n, 8);
  } finally {
    await context.dispose();
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
    const libs = prebuiltLibraries()!;
    const native = (o: object, k: string) => (o as Record<string, object>)[k]!;
    const ctx = native(context, "_ctx");
    const mdl = native(model, "_model");
    // a plain object, and the model's native object where the context's belongs
    assert.match(JSON.stringify(helper.open({}, mdl, libs, 256)), /not a node-llama-cpp context/);
    assert.match(JSON.stringify(helper.open(mdl, mdl, libs, 256)), /model is not this model|layout differs/);
    // the right objects, but the context size the caller believes is wrong: llama.cpp disagrees
    assert.match(JSON.stringify(helper.open(ctx, mdl, libs, 999)), /layout differs/);
    // libraries that are not the ones loaded
    assert.match(JSON.stringify(helper.open(ctx, mdl, { ...libs, llama: "/nonexistent/libllama.so" }, 256)), /not the ones loaded/);
    assert.throws(() => (helper.open as (...a: unknown[]) => unknown)("nope"), TypeError);
    const opened = helper.open(ctx, mdl, libs, 256);
    assert.ok("binding" in opened, JSON.stringify(opened));
    assert.match(String(helper.pool(opened.binding, 0, 50)), /out of range/);
    assert.equal(helper.pool(opened.binding, 1, 50), undefined);
    assert.match(String(helper.pool(opened.binding, 1, 50)), /has a pool already/);
    assert.throws(() => (helper.decode as (...a: unknown[]) => unknown)({}), TypeError);
    helper.close(opened.binding);
    helper.close(opened.binding); // once is enough; again is nothing
    assert.throws(() => helper.decode(opened.binding), /closed/);
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
});

test("the engine runs CPU contexts with a decode thread and, on the prebuilt, a persistent pool, says so in its settings, and HEARTH_LLAMA_THREAD_HELPER=off turns both off", {
  skip: !linuxX64 && "x86-64 Linux",
}, async () => {
  const backend = await loadBackend("llama");
  const primary = await ensureFixture("tiny");
  const files = { dir: path.dirname(primary), primary, format: "gguf" as const, type: "llm" as const };
  const on = await backend.load(files, { device: "cpu", contextSize: 128, extra: { llamaBuild: "prebuilt" } });
  // several sequences (the server's --parallel): llama.cpp's context holds all their cells
  const parallel = await backend.load(files, { device: "cpu", contextSize: 128, parallel: 3, extra: { llamaBuild: "prebuilt" } });
  const off = await helperOff(() => backend.load(files, { device: "cpu", contextSize: 128, extra: { llamaBuild: "prebuilt" } }));
  try {
    if (on.info.settings.llamaBuild === "prebuilt") {
      assert.equal(on.info.settings.threadPool, "persistent", String(on.info.settings.threadPoolNote));
      assert.equal(on.info.settings.decodeThread, "own");
      assert.equal(on.info.settings.threads, physicalCores());
      assert.equal(parallel.info.settings.threadPool, "persistent", String(parallel.info.settings.threadPoolNote));
    } else {
      // this process runs an OpenMP build, whose workers persist already
      assert.equal(on.info.settings.threadPool, undefined);
    }
    assert.equal(off.info.settings.threadPool, undefined);
    assert.equal(off.info.settings.decodeThread, undefined);
  } finally {
    await on.dispose();
    await parallel.dispose();
    await off.dispose();
  }
});

test("embedding and reranking contexts get the helper too, with the same vectors and scores as without it", {
  skip: !linuxX64 && "x86-64 Linux",
}, async () => {
  const backend = await loadBackend("llama");
  const load = async (preset: "embed" | "rerank", helper: boolean) => {
    const primary = await ensureFixture(preset);
    const loadIt = () =>
      backend.load(
        { dir: path.dirname(primary), primary, format: "gguf", type: preset === "embed" ? "embedder" : "reranker" },
        { device: "cpu", contextSize: 256, extra: { llamaBuild: "prebuilt" } },
      );
    return helper ? loadIt() : helperOff(loadIt);
  };
  const results = async (m: Awaited<ReturnType<typeof load>>, request: Parameters<typeof m.run>[0]) => {
    const out: unknown[] = [];
    // the vectors or scores and usage; the profile's timings differ from run to run
    for await (const e of m.run(request)) out.push({ ...(e as { result?: object }).result, profile: undefined });
    return out;
  };
  const cases: Array<["embed" | "rerank", TaskRequest]> = [
    ["embed", { task: "embed", texts: ["rivers and stones", "a lamp in the window"] }],
    ["rerank", { task: "rerank", query: "where is the lamp", documents: ["a lamp in the window", "rivers and stones"] }],
  ];
  for (const [preset, request] of cases) {
    const [on, off] = [await load(preset, true), await load(preset, false)];
    try {
      if (on.info.settings.llamaBuild === "prebuilt")
        assert.equal(on.info.settings.threadPool, "persistent", String(on.info.settings.threadPoolNote));
      assert.equal(on.info.settings.decodeThread, "own");
      assert.equal(off.info.settings.decodeThread, undefined);
      assert.deepEqual(await results(on, request), await results(off, request));
    } finally {
      await on.dispose();
      await off.dispose();
    }
  }
});
