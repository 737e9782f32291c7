// Speech synthesis through the real sherpa-onnx engine on random-weight VITS and Kokoro fixtures: the audio
// is noise, but its sample rate, its length (text length, speed), the streamed chunks, the voices
// and the errors are the engine's and the SDK's real behaviour.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TTS } from "../../src/sdk/TTS.ts";
import type { HearthError } from "../../src/errors/HearthError.ts";
import { ensureTtsFixture, ensureKokoroFixture, TTS_FIXTURE, KOKORO_FIXTURE } from "../../fixtures/speechOnnx.ts";
import { soxDurationMs } from "../multimodal/speech.ts";
import { execFileSync } from "node:child_process";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-tts-"));
let tts: TTS;

before(async () => {
  tts = await TTS.load(ensureTtsFixture(), { threads: 1 });
});

after(async () => {
  await tts?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const SHORT = "Good morning.";
const LONG = "Good morning. The weather today is fine, and the market opens at nine.";

test("loads with its named voices and sample rate", () => {
  assert.deepEqual(tts.voices, TTS_FIXTURE.speakers);
  assert.equal(tts.sampleRate, 22050);
  assert.equal(tts.info.backend, "sherpa");
  assert.deepEqual(tts.info.tasks, ["tts"]);
});

test("writes a WAV whose rate and duration sox confirms; longer text, longer audio", async () => {
  const short = await tts.speak(SHORT);
  const long = await tts.speak(LONG);
  const file = path.join(dir, "long.wav");
  writeFileSync(file, TTS.toWav(long));
  assert.equal(execFileSync("soxi", ["-r", file], { encoding: "utf8" }).trim(), "22050");
  assert.ok(Math.abs(soxDurationMs(file) - long.durationMs) < 5, `sox ${soxDurationMs(file)} ms vs ${long.durationMs} ms`);
  assert.equal(long.sampleRate, 22050);
  assert.equal(long.samples.length, Math.round((long.durationMs / 1000) * 22050));
  // about 70 characters against 13: several times as long
  assert.ok(long.durationMs > 3 * short.durationMs, `${long.durationMs} vs ${short.durationMs}`);
  assert.ok(
    long.samples.some((s) => Math.abs(s) > 0.01),
    "not silence",
  );
});

test("speed scales the duration (2x speed: about half as long)", async () => {
  const normal = await tts.speak(LONG, { speed: 1 });
  const fast = await tts.speak(LONG, { speed: 2 });
  const slow = await tts.speak(LONG, { speed: 0.5 });
  const r = fast.durationMs / normal.durationMs;
  assert.ok(r > 0.45 && r < 0.55, `fast/normal ${r}`);
  const s = slow.durationMs / normal.durationMs;
  assert.ok(s > 1.9 && s < 2.1, `slow/normal ${s}`);
});

test("streams a chunk per sentence, and the chunks add up to the whole", async () => {
  const stream = tts.stream("One sentence here. Another one there! And a third?");
  const chunks: Float32Array[] = [];
  for await (const c of stream) {
    assert.equal(c.sampleRate, 22050);
    chunks.push(c.samples);
  }
  const result = await stream.result;
  assert.equal(chunks.length, 3);
  const joined = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    joined.set(c, at);
    at += c.length;
  }
  assert.deepEqual(joined, result.samples);
});

test("named voices (any case, or by number) change the audio; an unknown voice is refused with the list", async () => {
  const a = await tts.speak(SHORT, { voice: "alba" });
  const c = await tts.speak(SHORT, { voice: "CLARA" });
  const c2 = await tts.speak(SHORT, { voice: "2" });
  assert.notDeepEqual(a.samples, c.samples);
  assert.deepEqual(c.samples, c2.samples);
  await assert.rejects(tts.speak(SHORT, { voice: "alloy" }), (e: HearthError) => {
    assert.equal(e.code, "bad_input");
    assert.match(e.line, /unknown voice "alloy".*alba, bruno, clara, dmitri/);
    return true;
  });
});

test("empty text, speed out of range and text with nothing speakable are bad input", async () => {
  for (const [text, opts, re] of [
    ["   ", {}, /empty/],
    [SHORT, { speed: 0 }, /speed 0 is out of range/],
    [SHORT, { speed: 5 }, /speed 5 is out of range/],
    [SHORT, { speed: Number.NaN }, /out of range/],
    ["日本語のテキスト", {}, /nothing to say/],
  ] as const) {
    await assert.rejects(
      tts.speak(text, opts),
      (e: HearthError) => e.code === "bad_input" && re.test(e.message),
      `${text} ${JSON.stringify(opts)}`,
    );
  }
  // the model still works after refusals
  assert.ok((await tts.speak(SHORT)).samples.length > 0);
});

test("the profile carries the real-time factor and time to first audio", async () => {
  const r = await tts.speak(LONG);
  assert.ok(r.profile.totalMs > 0);
  assert.ok(r.profile.ttftMs !== undefined && r.profile.ttftMs <= r.profile.totalMs);
  assert.ok(Math.abs(r.profile.realTimeFactor! - r.profile.totalMs / r.durationMs) < 1e-9);
  assert.equal(r.profile.device, "sherpa/cpu");
});

test("an aborted request rejects with aborted", async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(tts.speak(LONG, { signal: ac.signal }), (e: HearthError) => e.code === "aborted");
});

test("a model folder without tokens.txt is refused before the engine sees it", async () => {
  const broken = path.join(dir, "broken");
  cpSync(ensureTtsFixture(), broken, { recursive: true });
  rmSync(path.join(broken, "tokens.txt"));
  await assert.rejects(TTS.load(broken), (e: HearthError) => e.code === "bad_input" && /tokens\.txt/.test(e.message));
  await assert.rejects(TTS.load(path.join(dir, "nothing-here")), (e: HearthError) => e.code === "model_not_found");
});

test("Kokoro (v0.19 layout): espeak-ng phonemes, voices.bin styles, 24 kHz, speed, per-sentence chunks", async (t) => {
  const dir = ensureKokoroFixture();
  if (!dir) return t.skip("espeak-ng-data is not installed (run scripts/system-deps.sh)");
  const kokoro = await TTS.load(dir, { threads: 1 });
  try {
    assert.equal(kokoro.info.settings.family, "kokoro");
    assert.deepEqual(kokoro.voices, KOKORO_FIXTURE.speakers);
    assert.equal(kokoro.sampleRate, 24000);
    const chunks: number[] = [];
    const normal = await kokoro.speak("Hello there. The weather is fine today!", {
      voice: "bf_emma",
      onAudio: (c) => chunks.push(c.samples.length),
    });
    assert.equal(normal.sampleRate, 24000);
    assert.equal(chunks.length, 2);
    assert.equal(
      chunks.reduce((a, b) => a + b, 0),
      normal.samples.length,
    );
    const fast = await kokoro.speak("Hello there. The weather is fine today!", { voice: "bf_emma", speed: 2 });
    const r = fast.durationMs / normal.durationMs;
    assert.ok(r > 0.45 && r < 0.55, `2x speed: ${r}`);
    const other = await kokoro.speak("Hello there. The weather is fine today!", { voice: "am_adam" });
    assert.notDeepEqual(other.samples, normal.samples, "another voice's style changes the audio");
    await assert.rejects(kokoro.speak("Hello.", { voice: "af_sky" }), (e: HearthError) =>
      /unknown voice "af_sky".*af_heart, am_adam, bf_emma, bm_george/.test(e.line),
    );
  } finally {
    await kokoro.dispose();
  }
  // without its phonemizer data the engine is never asked (it would exit the process)
  const broken = path.join(dir + "-no-espeak-" + process.pid);
  cpSync(dir, broken, { recursive: true, dereference: false, filter: (src) => !src.endsWith("espeak-ng-data") });
  try {
    await assert.rejects(TTS.load(broken), (e: HearthError) => e.code === "bad_input" && /espeak-ng-data/.test(e.message));
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});

test("a voices.bin that does not match the Kokoro model is refused (the engine would exit the process)", async (t) => {
  const src = ensureKokoroFixture();
  if (!src) return t.skip("espeak-ng-data is not installed (run scripts/system-deps.sh)");
  const broken = path.join(dir, "kokoro-bad-voices");
  cpSync(src, broken, { recursive: true });
  writeFileSync(path.join(broken, "voices.bin"), new Uint8Array(1000));
  await assert.rejects(TTS.load(broken), (e: HearthError) => e.code === "unsupported_architecture" && /does not match/.test(e.message));
});

test("isolated in a runner process: audio chunks cross the process boundary and add up to the result", async () => {
  const iso = await TTS.load(ensureTtsFixture(), { threads: 1, isolate: true });
  try {
    assert.equal(iso.info.settings.isolated, true);
    assert.notEqual(iso.info.settings.runnerPid, process.pid);
    const chunks: Float32Array[] = [];
    const r = await iso.speak("One here. Two there.", { voice: "bruno", onAudio: (c) => chunks.push(c.samples) });
    assert.equal(chunks.length, 2);
    assert.ok(chunks.every((c) => c instanceof Float32Array));
    assert.equal(chunks[0].length + chunks[1].length, r.samples.length);
    assert.deepEqual(r.samples, (await tts.speak("One here. Two there.", { voice: "bruno" })).samples, "same audio as in-process");
    await assert.rejects(iso.speak("hi", { voice: "nobody" }), (e: HearthError) => e.code === "bad_input");
  } finally {
    await iso.dispose();
  }
});

test("leaving a stream early stops the synthesis: result rejects with aborted, the model goes on", async () => {
  const stream = tts.stream("First part. Second part. Third part. Fourth part. Fifth part.");
  let chunks = 0;
  for await (const c of stream) {
    assert.ok(c.samples.length > 0);
    chunks++;
    break;
  }
  assert.equal(chunks, 1);
  await assert.rejects(stream.result, (e: HearthError) => e.code === "aborted");
  assert.ok((await tts.speak("Still fine.")).samples.length > 0);
});
