// onProgress and signal of X.load(ref, options) against the mock hub: a pull reports monotonic byte
// progress with a file and a speed, then loading and loaded; a cancelled download leaves its
// partial file and the next load resumes from it; a callback that throws breaks nothing; the
// store is usable from the SDK (pull, list, remove).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Embedder, HearthError, LLM, store, type LoadProgress } from "../../src/index.ts";
import { fixtureRepos, startMockHub, type MockHub } from "../helpers/mockHub.ts";

let hub: MockHub;
let home: string;
const saved = { hf: process.env.HF_ENDPOINT, home: process.env.HEARTH_HOME };
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const opts = { threads: 1, contextSize: 256 };

before(async () => {
  hub = await startMockHub(await fixtureRepos());
  home = mkdtempSync(path.join(os.tmpdir(), "hearth-load-progress-"));
  process.env.HF_ENDPOINT = hub.url;
  process.env.HEARTH_HOME = home;
});
after(async () => {
  await hub.close();
  for (const [k, v] of [
    ["HF_ENDPOINT", saved.hf],
    ["HEARTH_HOME", saved.home],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(home, { recursive: true, force: true });
});

const hubFile = (name: string) => hub.repos.find((r) => r.id === "hearth-test/tiny-GGUF")!.files.find((f) => f.path === name)!;

test("LLM.load of a store name pulls it with monotonic progress, then reports loading and loaded", async () => {
  const events: LoadProgress[] = [];
  hub.faults.push({ kind: "slow", bytesPerSec: 400_000, path: "tiny-Q8_0" }); // several progress events, a measurable speed
  const llm = await LLM.load("hearth-test/tiny-GGUF:Q8_0", { ...opts, onProgress: (e) => events.push(e) });
  try {
    const downloads = events.filter((e): e is Extract<LoadProgress, { type: "download" }> => e.type === "download");
    assert.ok(downloads.length > 3, `${downloads.length} download events`);
    for (let i = 1; i < downloads.length; i++) assert.ok(downloads[i].doneBytes >= downloads[i - 1].doneBytes, "progress never goes back");
    const last = downloads[downloads.length - 1];
    assert.equal(last.doneBytes, last.totalBytes);
    assert.ok(last.totalBytes >= hubFile("tiny-Q8_0.gguf").data.length);
    assert.ok(downloads.some((d) => d.file === "tiny-Q8_0.gguf"));
    assert.ok(downloads.some((d) => d.bytesPerSecond > 0));
    const order = events.map((e) => e.type).filter((t, i, a) => t !== a[i - 1]);
    assert.deepEqual(order.slice(-2), ["loading", "loaded"]);
    assert.ok(order.indexOf("download") < order.indexOf("loading"));
    const loaded = events[events.length - 1] as Extract<LoadProgress, { type: "loaded" }>;
    assert.equal(loaded.engine, llm.info.backend);
    assert.equal((await llm.complete("a", { maxTokens: 2 }).result).finishReason.length > 0, true);
  } finally {
    await llm.dispose();
  }
  // installed now: a second load downloads nothing
  const again: LoadProgress["type"][] = [];
  await (await LLM.load("hearth-test/tiny-GGUF:Q8_0", { ...opts, onProgress: (e) => again.push(e.type) })).dispose();
  assert.deepEqual(again, ["loading", "loaded"]);
});

test("a cancelled download stays resumable: the next load fetches only the rest", async () => {
  const file = hubFile("tiny-Q4_0.gguf");
  hub.reset();
  hub.faults.push({ kind: "slow", bytesPerSec: 100_000, path: "tiny-Q4_0" });
  const controller = new AbortController();
  let seen = 0;
  await assert.rejects(
    LLM.load("hearth-test/tiny-GGUF:Q4_0", {
      ...opts,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === "download" && e.file === "tiny-Q4_0.gguf") seen = e.doneBytes;
        if (e.type === "download" && e.doneBytes > e.totalBytes / 3) controller.abort();
      },
    }),
    (e: unknown) => e instanceof HearthError && e.code === "aborted",
  );
  const partial = readdirSync(path.join(home, "partial", "hearth-test", "tiny-GGUF"));
  assert.ok(
    partial.some((n) => n.endsWith(".part")),
    partial.join(", "),
  );
  assert.ok(!store.list().some((m) => m.name === "hearth-test/tiny-GGUF" && m.quants.includes("Q4_0")), "a cancelled pull is not listed");
  const cut = hub.bytesServed("tiny-Q4_0");
  assert.ok(cut > 0 && cut < file.data.length, `served ${cut} of ${file.data.length}`);

  const events: LoadProgress[] = [];
  const llm = await LLM.load("hearth-test/tiny-GGUF:Q4_0", { ...opts, onProgress: (e) => events.push(e) });
  await llm.dispose();
  const start = events.find((e) => e.type === "pull" && e.event.type === "start") as Extract<LoadProgress, { type: "pull" }>;
  assert.ok(start && start.event.type === "start" && start.event.resumedBytes > 0, "the pull resumed");
  assert.ok(seen > 0);
  const total = hub.bytesServed("tiny-Q4_0");
  assert.ok(total < file.data.length * 1.5, `fetched ${total} bytes in all for a ${file.data.length}-byte file`);
  const stored = readFileSync(path.join(home, "models", "hearth-test", "tiny-GGUF", "tiny-Q4_0.gguf"));
  assert.equal(sha(stored), sha(file.data));
});

test("an onProgress that throws neither stops nor corrupts the download", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on("warning", onWarning);
  try {
    let calls = 0;
    const llm = await LLM.load("hearth-test/tiny-GGUF:Q4_K_M", {
      ...opts,
      onProgress: () => {
        calls++;
        throw new Error("the progress bar broke");
      },
    });
    await llm.dispose();
    assert.ok(calls > 2);
    const stored = readFileSync(path.join(home, "models", "hearth-test", "tiny-GGUF", "tiny-Q4_K_M.gguf"));
    assert.equal(sha(stored), sha(hubFile("tiny-Q4_K_M.gguf").data));
    await new Promise((r) => setImmediate(r));
    assert.equal(warnings.filter((w) => /onProgress callback threw.*progress bar broke/.test(w)).length, 1);
  } finally {
    process.off("warning", onWarning);
  }
});

test("an aborted signal cancels a load of a file already on disk", async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    Embedder.load("hearth-test/tiny-GGUF:Q8_0", { ...opts, signal: controller.signal }),
    (e: unknown) => e instanceof HearthError && e.code === "aborted",
  );
});

test("the store from the SDK: pull with progress, list, remove", async () => {
  const events: LoadProgress[] = [];
  const pulled = await store.pull("hearth-test/split-GGUF:Q8_0", { onProgress: (e) => events.push(e) });
  assert.equal(pulled.quant, "Q8_0");
  assert.equal(pulled.upToDate, false);
  assert.ok(events.some((e) => e.type === "download" && e.doneBytes === e.totalBytes));
  const listed = store.list().find((m) => m.name === "hearth-test/split-GGUF");
  assert.deepEqual(listed?.quants, ["Q8_0"]);
  assert.ok((listed?.sizeBytes ?? 0) > 0);
  assert.equal((await store.pull("hearth-test/split-GGUF:Q8_0")).upToDate, true);
  const removed = await store.remove("hearth-test/split-GGUF");
  assert.equal(removed.removedModel, true);
  assert.ok(!store.list().some((m) => m.name === "hearth-test/split-GGUF"));
  await assert.rejects(store.remove("hearth-test/split-GGUF"), (e: unknown) => e instanceof HearthError && e.code === "model_not_found");
});
