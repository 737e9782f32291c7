// A new model layout added the way the resolver is meant to grow: sherpa-onnx's NeMo CTC speech
// recogniser (model.onnx with its metadata + tokens.txt), recognised by the sherpa engine's own
// descriptor, loaded by the real sherpa-onnx and run on real speech (espeak-ng), through the SDK, the
// CLI's infer and plan. The fixture's weights are random, but it pushes the blank token down, so any
// audio transcribes to letters from its tokens.txt, whatever the weights.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ASR } from "../../src/sdk/ASR.ts";
import { resolveModel } from "../../src/resolve/resolveModel.ts";
import type { HearthError } from "../../src/errors/HearthError.ts";
import { ensureAsrFixture } from "../../fixtures/speechOnnx.ts";
import { runHearth } from "../helpers/cli.ts";
import { say, sox, soxDurationMs } from "../multimodal/speech.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-sherpa-asr-"));
const env = { HEARTH_HOME: path.join(dir, "home") };
const model = ensureAsrFixture();
// speech with a second of silence either side, at 22050 Hz (the engine resamples to 16 kHz)
const speech = sox(say("the library opens at nine", path.join(dir, "raw.wav")), path.join(dir, "speech.wav"), "pad", "1", "1");
const LETTERS = /^[a-z' ]+$/;

after(() => rmSync(dir, { recursive: true, force: true }));

test("the folder resolves to the sherpa engine's ASR layout, from the folder, its .onnx file or ~", async () => {
  const files = await resolveModel(model);
  assert.deepEqual(
    [files.format, files.type, path.basename(files.primary), path.basename(files.extra?.tokens ?? "")],
    ["onnx", "asr", "model.onnx", "tokens.txt"],
  );
  assert.equal((await resolveModel(path.join(model, "model.onnx"))).type, "asr");
  // ~ is the home folder (os.homedir() reads HOME): a copy of the folder under a home made for the test
  const home = path.join(dir, "user");
  mkdirSync(path.join(home, "models", "asr"), { recursive: true });
  for (const f of ["model.onnx", "tokens.txt"]) copyFileSync(path.join(model, f), path.join(home, "models", "asr", f));
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    assert.equal((await resolveModel("~/models/asr")).primary, path.join(home, "models", "asr", "model.onnx"));
  } finally {
    process.env.HOME = saved;
  }
});

test("sherpa-onnx transcribes speech to letters; with VAD the segment lies inside the speech's second of padding", async () => {
  const asr = await ASR.load(model, { threads: 1 });
  try {
    assert.equal(asr.info.backend, "sherpa");
    assert.deepEqual(asr.info.tasks, ["asr"]);
    const r = await asr.transcribe(speech);
    assert.match(r.text, LETTERS);
    assert.ok(r.segments.length >= 1);
    assert.ok(Math.abs(r.durationMs - soxDurationMs(speech)) < 5);
    for (const s of r.segments) {
      assert.match(s.text, LETTERS);
      assert.ok(s.startMs >= 700 && s.endMs <= r.durationMs - 700, `${s.startMs}-${s.endMs} of ${r.durationMs}`);
    }
    const whole = await asr.transcribe(speech, { vad: false });
    assert.equal(whole.segments.length, 1);
    assert.deepEqual([whole.segments[0].startMs, Math.round(whole.segments[0].endMs)], [0, Math.round(whole.durationMs)]);
    await assert.rejects(asr.transcribe(new Uint8Array([1, 2, 3])), (e: HearthError) => e.code === "unsupported_media");
    assert.match((await asr.transcribe(speech)).text, LETTERS, "the model keeps working after bad audio");
  } finally {
    await asr.dispose();
  }
});

test("a recogniser without tokens.txt is refused with a clear error before the engine sees it", async () => {
  const bare = path.join(dir, "no-tokens");
  mkdirSync(bare);
  copyFileSync(path.join(model, "model.onnx"), path.join(bare, "model.onnx"));
  await assert.rejects(ASR.load(bare, { threads: 1 }), (e: HearthError) => e.code === "bad_input" && /tokens\.txt/.test(e.message));
});

test("`hearth infer` transcribes with the folder; `hearth plan` plans it on sherpa", async () => {
  const r = await runHearth(["infer", model, "-i", speech, "--threads", "1", "--json"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(JSON.parse(r.stdout).text, LETTERS);
  const plan = await runHearth(["plan", model, "--json"], { env });
  assert.equal(plan.code, 0, plan.stderr);
  const p = JSON.parse(plan.stdout);
  assert.deepEqual([p.files.type, p.backend, p.device], ["asr", "sherpa", "cpu"]);
});
