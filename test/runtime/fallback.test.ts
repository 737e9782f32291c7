// Fallback on a load failure, for real on this CPU-only machine: asked for the GPU, the whisper
// engine's own probe says it cannot use one, the load throws backend_unavailable, and hearth moves to
// the CPU: one line on stderr, a `fallback` event, remembered until `hearth plan --reset`.
// --strict turns the same failure into an error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import type { ModelFiles } from "../../src/model/types.ts";
import type { TaskEvent } from "../../src/model/task.ts";
import { encodeWav } from "../../src/media/audio.ts";
import { HearthError } from "../../src/errors/HearthError.ts";
import { loadModel } from "../../src/runtime/load.ts";
import { runtimeEvents, type FallbackEvent } from "../../src/runtime/events.ts";
import { rememberedFailures } from "../../src/runtime/fallbackStore.ts";
import { runHearth } from "../helpers/cli.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-fallback-"));
const env = { HEARTH_HOME: home };
let files: ModelFiles;
const fallbacks: FallbackEvent[] = [];
const stderr: string[] = [];
const realWrite = process.stderr.write.bind(process.stderr);

before(async () => {
  files = { dir: "", primary: await ensureWhisperFixture(), format: "ggml", type: "asr" };
  files.dir = path.dirname(files.primary);
  runtimeEvents.on("fallback", (e) => fallbacks.push(e));
});

after(() => {
  process.stderr.write = realWrite;
});

function tone(): Uint8Array {
  return encodeWav(
    new Float32Array(16000).map((_, i) => 0.3 * Math.sin(i / 8)),
    16000,
  );
}

test("--strict: a device that cannot load is an error, nothing remembered", async () => {
  await assert.rejects(
    loadModel(files, { device: "gpu", strict: true, isolate: true, threads: 2, home }),
    (e: unknown) =>
      e instanceof HearthError &&
      e.code === "backend_unavailable" &&
      /whisper cannot use the gpu/.test(e.message) &&
      /--strict/.test(e.message) &&
      /drop --strict/.test(e.hint ?? ""),
  );
  assert.equal(fallbacks.length, 0);
  assert.deepEqual(rememberedFailures(home, files.primary), []);
});

test("a load that fails on the GPU falls back to the CPU: logged, emitted, remembered; audio bytes cross to the runner", async () => {
  process.stderr.write = ((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
  let model: Awaited<ReturnType<typeof loadModel>>;
  try {
    model = await loadModel(files, {
      device: "gpu",
      isolate: true,
      threads: 2,
      extra: { temperatureInc: 0 },
      home,
      modelName: "whisper-fixture",
    });
  } finally {
    process.stderr.write = realWrite;
  }
  try {
    assert.equal(model.info.device, "cpu");
    assert.equal(model.info.backend, "whisper");
    assert.equal(fallbacks.length, 1);
    assert.deepEqual(
      [fallbacks[0].from, fallbacks[0].to],
      [
        { backend: "whisper", device: "gpu" },
        { backend: "whisper", device: "cpu" },
      ],
    );
    assert.match(fallbacks[0].reason, /^load failed: whisper cannot use the gpu/);
    assert.equal(fallbacks[0].model, "whisper-fixture");
    const lines = stderr
      .join("")
      .trim()
      .split("\n")
      .filter((l) => l.includes("moving from"));
    assert.equal(lines.length, 1, stderr.join(""));
    assert.match(lines[0], /^hearth: whisper-fixture: moving from whisper\/gpu.* to whisper\/cpu: load failed: .*hearth plan --reset/);
    const remembered = rememberedFailures(home, files.primary);
    assert.equal(remembered.length, 1);
    assert.equal(remembered[0].device, "gpu");
    const stored = JSON.parse(readFileSync(path.join(home, "state", "fallbacks.json"), "utf8"));
    assert.ok(stored.models[files.primary]["whisper/gpu"]);
    const events: TaskEvent[] = [];
    for await (const e of model.run({ task: "asr", audio: tone(), language: "en" })) events.push(e);
    assert.equal(events.at(-1)!.type, "result");
  } finally {
    await model.dispose();
  }
});

test("in this process (no runner) the same failure falls back the same way, without probing GPU builds here", async () => {
  const own = mkdtempSync(path.join(os.tmpdir(), "hearth-fallback-inproc-"));
  const before = fallbacks.length;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  let model: Awaited<ReturnType<typeof loadModel>>;
  try {
    model = await loadModel(files, { device: "gpu", threads: 2, extra: { temperatureInc: 0 }, home: own });
  } finally {
    process.stderr.write = realWrite;
  }
  try {
    assert.equal(model.runnerPid, undefined, "loaded in this process");
    assert.equal(model.info.device, "cpu");
    assert.equal(fallbacks.length, before + 1);
    assert.equal(rememberedFailures(own, files.primary).length, 1);
  } finally {
    await model.dispose();
  }
});

test("hearth plan shows the remembered failure and tries that device last; --reset forgets it", async () => {
  const r = await runHearth(["plan", files.primary, "--json", "--device", "gpu"], { env });
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.remembered.length, 1);
  assert.equal(p.device, "gpu", "a device the user names still comes first");
  assert.match(p.alternatives[0].reasons.join(" "), /failed here before/);

  const auto = JSON.parse((await runHearth(["plan", files.primary, "--json"], { env })).stdout);
  assert.equal(auto.device, "cpu");
  assert.deepEqual(
    auto.fallbackChain.map((c: { device: string }) => c.device),
    ["cpu"],
  );

  const text = await runHearth(["plan", files.primary], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /whisper on cpu/);
  assert.match(text.stdout, /RANK\s+ENGINE\s+DEVICE/);
  assert.match(text.stdout, /remembered: whisper\/gpu failed/);

  const reset = await runHearth(["plan", "--reset"], { env });
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(reset.stdout, /forgot 1 remembered fallback\b/);
  assert.deepEqual(rememberedFailures(home, files.primary), []);
  const after = JSON.parse((await runHearth(["plan", files.primary, "--json"], { env })).stdout);
  assert.deepEqual(after.remembered, []);
});

test("hearth plan refuses bad input with one line and a non-zero exit", async () => {
  const bad = await runHearth(["plan", files.primary, "--device", "tpu"], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown device "tpu".*choose one of/);
  const none = await runHearth(["plan"], { env });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /name a model/);
  const missing = await runHearth(["plan", "/no/such/model.gguf"], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no model file/);
  const strictNoNpu = await runHearth(["plan", files.primary, "--device", "npu"], { env });
  assert.equal(strictNoNpu.code, 1);
  assert.match(strictNoNpu.stderr, /no engine .* can use the npu/);
});

test("a broken model file is not a device failure: an error at once, no fallback, nothing remembered", async () => {
  const own = mkdtempSync(path.join(os.tmpdir(), "hearth-fallback-missing-"));
  const before = fallbacks.length;
  const gone: ModelFiles = { ...files, primary: path.join(own, "ggml-missing.bin") };
  await assert.rejects(
    loadModel(gone, { device: "cpu", isolate: true, threads: 1, home: own }),
    (e: unknown) => e instanceof HearthError && e.code === "model_not_found",
  );
  assert.equal(fallbacks.length, before);
  assert.deepEqual(rememberedFailures(own, gone.primary), []);
});
