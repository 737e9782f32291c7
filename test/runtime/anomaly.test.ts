// The latency-anomaly rule and crash-driven fallback, between two real engines on one CPU (the
// real llama-mm engine also hosted under a second name through the test-only HEARTH_TEST_ENGINES
// hook). A measured profile says what decode speed to expect; a slowed runner (test-only
// HEARTH_TEST_RUNNER_SLOW hook) falls under a third of it for 3 requests, and the model moves on.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureVlmFixture } from "../../fixtures/mmproj.ts";
import type { ModelFiles } from "../../src/model/types.ts";
import type { TaskEvent, TaskRequest } from "../../src/model/task.ts";
import { HearthError } from "../../src/errors/HearthError.ts";
import { runtimeEvents, type FallbackEvent } from "../../src/runtime/events.ts";
import { rememberedFailures } from "../../src/runtime/fallbackStore.ts";
import { LatencyWatch, decodeSpeed } from "../../src/runtime/latencyWatch.ts";
import { loadModel } from "../../src/runtime/load.ts";
import { writeCpuProfile } from "../helpers/profiles.ts";

process.env.HEARTH_TEST_ENGINES = fileURLToPath(new URL("./engines/llamaMmTwin.ts", import.meta.url));
// every event of the llama-mm runner waits 150 ms; its twin runs at full speed
process.env.HEARTH_TEST_RUNNER_SLOW = "llama-mm:150";

const chat: TaskRequest = {
  task: "chat",
  messages: [{ role: "user", content: "hi" }],
  sampling: { temperature: 0, maxTokens: 16, seed: 1 },
};
let files: ModelFiles;
const fallbacks: FallbackEvent[] = [];

before(async () => {
  const fx = await ensureVlmFixture();
  files = { dir: path.dirname(fx.model), primary: fx.model, format: "gguf", type: "vlm" };
  runtimeEvents.on("fallback", (e) => fallbacks.push(e));
});

after(() => {
  delete process.env.HEARTH_TEST_RUNNER_SLOW;
});

async function run(model: Awaited<ReturnType<typeof loadModel>>, req = chat): Promise<TaskEvent[]> {
  const out: TaskEvent[] = [];
  for await (const e of model.run(req)) out.push(e);
  return out;
}

/** A fresh HEARTH_HOME whose measured profile says llama-mm decodes the fixture at 2000 tok/s. */
function homeWithProfile(): string {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-anomaly-"));
  writeCpuProfile(home, files.primary, { backend: "llama-mm", settings: { threads: 2, contextSize: 512 }, decodeTokensPerSec: 2000 });
  return home;
}

test("LatencyWatch: 3 requests in a row under a third of the expectation is an anomaly; one fast request resets the streak", () => {
  const w = new LatencyWatch(30);
  assert.equal(w.observe(9).anomaly, false);
  assert.equal(w.observe(9).anomaly, false);
  assert.equal(w.observe(25).anomaly, false, "a fast one breaks the streak");
  assert.equal(w.observe(9.9).anomaly, false);
  assert.equal(w.observe(5).anomaly, false);
  const v = w.observe(1);
  assert.equal(v.anomaly, true);
  assert.deepEqual(v.streak, [9.9, 5, 1]);
  assert.equal(w.observe(10).anomaly, false, "exactly a third is not under a third");
  // no profile: the median of the first 3 requests becomes the baseline
  const b = new LatencyWatch(undefined);
  for (const s of [40, 60, 50]) assert.equal(b.observe(s).anomaly, false);
  assert.equal(b.expectation, 50);
  b.observe(10);
  b.observe(10);
  assert.equal(b.observe(10).anomaly, true);
  assert.equal(decodeSpeed(3, 10, 100), undefined, "too few tokens to judge");
  assert.equal(decodeSpeed(11, 100, 1100), 10);
});

test("a slowed runner under a third of the measured speed for 3 requests moves the model to the next engine; requests keep working", async () => {
  const home = homeWithProfile();
  const notices: string[] = [];
  const model = await loadModel(files, { isolate: true, home, modelName: "tiny-vlm" });
  (model as unknown as { o: { log: (l: string) => void } }).o.log = (l) => notices.push(l);
  try {
    assert.equal(model.entry.backend, "llama-mm");
    assert.equal(model.entry.measured, true, "the profile chose it");
    assert.deepEqual(
      model.plan.fallbackChain.map((c) => c.backend),
      ["llama-mm", "llama-mm-twin"],
    );
    for (let i = 0; i < 3; i++) {
      const events = await run(model);
      const r = events.at(-1)!;
      assert.equal(r.type, "result");
      assert.ok((r as { result: { usage: { completionTokens: number } } }).result.usage.completionTokens >= 4, "enough tokens to measure");
    }
    // the third slow request triggered the move; the next request waits for it and runs there
    const events = await run(model);
    assert.equal(events.at(-1)!.type, "result");
    assert.equal(model.entry.backend, "llama-mm-twin");
    assert.equal(fallbacks.length, 1);
    assert.deepEqual(fallbacks[0].from, { backend: "llama-mm", device: "cpu" });
    assert.deepEqual(fallbacks[0].to, { backend: "llama-mm-twin", device: "cpu" });
    assert.match(fallbacks[0].reason, /tok\/s for 3 requests in a row, under a third of the expected 2000\.0/);
    assert.equal(notices.filter((l) => l.includes("moving from")).length, 1, notices.join("\n"));
    assert.equal(rememberedFailures(home, files.primary)[0].backend, "llama-mm");
  } finally {
    await model.dispose();
  }
});

test("requests that run beside others are not judged: concurrency slows each one, not the device", async () => {
  const home = homeWithProfile();
  const before = fallbacks.length;
  const model = await loadModel(files, { isolate: true, home, modelName: "tiny-vlm-busy" });
  (model as unknown as { o: { log: (l: string) => void } }).o.log = () => undefined;
  try {
    assert.equal(model.entry.backend, "llama-mm");
    // three rounds of two requests at once: each is slow (the runner is slowed), but none ran alone
    for (let i = 0; i < 3; i++) {
      const pair = await Promise.all([run(model), run(model)]);
      for (const events of pair) assert.equal(events.at(-1)!.type, "result");
    }
    assert.equal(model.entry.backend, "llama-mm", "still on the first engine");
    assert.equal(fallbacks.length, before, "no fallback");
  } finally {
    await model.dispose();
  }
});

test("a runner that crashes twice on a device moves the model to the next; a third request is served", async () => {
  delete process.env.HEARTH_TEST_RUNNER_SLOW;
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-crash2-"));
  const before = fallbacks.length;
  const model = await loadModel(files, { isolate: true, threads: 2, contextSize: 512, home, modelName: "tiny-vlm" });
  (model as unknown as { o: { log: (l: string) => void } }).o.log = () => undefined;
  try {
    assert.equal(model.entry.backend, "llama-mm");
    for (let i = 0; i < 2; i++) {
      const pid = model.runnerPid!;
      process.kill(pid, "SIGKILL");
      await new Promise((r) => setTimeout(r, 200));
      // a dead runner is replaced before the request, so requests do not fail on it
      assert.equal((await run(model)).at(-1)!.type, "result");
      assert.notEqual(model.runnerPid, pid);
    }
    // two crashes counted on llama-mm/cpu (each found at the next request): moved on
    assert.equal(model.entry.backend, "llama-mm-twin");
    assert.equal(fallbacks.length, before + 1);
    assert.match(fallbacks.at(-1)!.reason, /crashed 2 times/);
    assert.equal((await run(model)).at(-1)!.type, "result");
  } finally {
    await model.dispose();
  }
});

test("--strict with a slowed runner: hearth says so and stays", async () => {
  process.env.HEARTH_TEST_RUNNER_SLOW = "llama-mm:150";
  const home = homeWithProfile();
  const notices: string[] = [];
  const model = await loadModel(files, { isolate: true, strict: true, home, modelName: "tiny-vlm" });
  (model as unknown as { o: { log: (l: string) => void } }).o.log = (l) => notices.push(l);
  try {
    assert.deepEqual(
      model.plan.fallbackChain.map((c) => c.backend),
      ["llama-mm"],
    );
    for (let i = 0; i < 3; i++) await run(model);
    assert.equal(model.entry.backend, "llama-mm");
    assert.ok(
      notices.some((l) => /under a third.*--strict: staying on it/.test(l)),
      notices.join("\n"),
    );
  } finally {
    await model.dispose();
  }
});

test("an unknown backend named by the caller is a clear error", async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-badbackend-"));
  await assert.rejects(
    loadModel(files, { backend: "nope", home }),
    (e: unknown) => e instanceof HearthError && e.code === "bad_input" && /unknown backend "nope"/.test(e.message),
  );
});
