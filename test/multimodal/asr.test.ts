// ASR end to end: whisper.cpp (@fugood/whisper.node) loads a random-weight Whisper ggml fixture
// and transcribes real speech made by espeak-ng. The words are meaningless; durations, timestamps,
// silence cutting, streaming and refusals are what is checked.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import { ASR, type StreamUpdate } from "../../src/sdk/ASR.ts";
import { decodeAudio, encodeWav } from "../../src/media/audio.ts";
import { detectSpeech } from "../../src/media/vad.ts";
import type { HearthError } from "../../src/errors/HearthError.ts";
import { say, sox, soxDurationMs } from "./speech.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-asr-"));
let asr: ASR;
let speech: string;
let padded: string;

before(async () => {
  // temperatureInc 0: random weights always "look poor", so whisper.cpp would retry 5 times
  asr = await ASR.load(await ensureWhisperFixture(), { threads: 2, temperatureInc: 0 });
  speech = say("the quick brown fox jumps over the lazy dog", path.join(dir, "fox.wav"));
  padded = sox(speech, path.join(dir, "padded.wav"), "pad", "4", "3");
});

after(async () => {
  await asr?.dispose();
});

test("transcribes a WAV: text, segments inside the audio, duration as sox measures it, real-time factor", async () => {
  const seen: number[] = [];
  const r = await asr.transcribe(speech, { language: "en", onSegment: (s) => seen.push(s.startMs) });
  // a random-weight model may say nothing: assert what holds for any transcript
  assert.equal(typeof r.text, "string");
  assert.equal(
    r.text,
    r.segments
      .map((s) => s.text)
      .join("")
      .trim(),
  );
  assert.equal(r.language, "en");
  assert.ok(Math.abs(r.durationMs - soxDurationMs(speech)) < 5, `${r.durationMs} vs sox ${soxDurationMs(speech)}`);
  for (const s of r.segments) assert.ok(s.startMs >= 0 && s.startMs <= s.endMs && s.endMs <= r.durationMs, JSON.stringify(s));
  assert.equal(seen.length, r.segments.length, "each segment was also streamed");
  assert.ok(r.profile.realTimeFactor! > 0 && r.profile.totalMs > 0);
  assert.equal(r.profile.device, "whisper/cpu");
});

test("voice activity detection finds the speech inside 4 s and 3 s of silence; timestamps map back to the original", async () => {
  const audio = await decodeAudio(readFileSync(padded));
  const regions = detectSpeech(audio.samples, audio.sampleRate);
  assert.equal(regions.length >= 1, true);
  assert.ok(regions[0].startMs > 3500 && regions[0].startMs < 4300, JSON.stringify(regions));
  assert.ok(regions[regions.length - 1].endMs < audio.durationMs - 2500, JSON.stringify(regions));
  const r = await asr.transcribe(padded, { language: "en" });
  for (const s of r.segments) assert.ok(s.startMs >= regions[0].startMs - 1, `segment at ${s.startMs} ms lies in the cut silence`);
  // without VAD the whole file goes to the model, timestamps start from 0
  const raw = await asr.transcribe(padded, { language: "en", vad: false });
  assert.ok(Math.abs(raw.durationMs - r.durationMs) < 1);
});

test("FLAC and a data URI give the same duration as the WAV", async () => {
  const flac = sox(speech, path.join(dir, "fox.flac"));
  const a = await asr.transcribe(flac);
  const b = await asr.transcribe(`data:audio/wav;base64,${readFileSync(speech).toString("base64")}`);
  assert.ok(Math.abs(a.durationMs - b.durationMs) < 1);
});

test("a silent recording gives no text and no segments", async () => {
  const silent = encodeWav(new Float32Array(16000 * 2), 16000);
  const r = await asr.transcribe(silent);
  assert.equal(r.text, "");
  assert.deepEqual(r.segments, []);
  assert.ok(Math.abs(r.durationMs - 2000) < 1);
});

test("streams a growing buffer: partial updates, then final windows with absolute times", async () => {
  const audio = await decodeAudio(readFileSync(padded));
  const stream = asr.stream({ language: "en", stepMs: 1000 });
  const updates: StreamUpdate[] = [];
  const reading = (async () => {
    for await (const u of stream) updates.push(u);
  })();
  const chunk = 1600; // 100 ms, as a microphone delivers
  for (let i = 0; i < audio.samples.length; i += chunk) stream.push(audio.samples.subarray(i, i + chunk));
  stream.end();
  await reading;
  const finals = updates.filter((u) => u.type === "final");
  assert.ok(finals.length >= 1, JSON.stringify(updates.map((u) => u.type)));
  assert.equal(updates[updates.length - 1].type, "final");
  for (const u of finals) for (const s of u.segments) assert.ok(s.startMs >= 0 && s.endMs <= audio.durationMs + 1, JSON.stringify(s));
  assert.ok(finals.every((u) => u.realTimeFactor! > 0));
});

test("bad audio is refused with clear errors, and the model keeps working", async () => {
  const wav = readFileSync(speech);
  await assert.rejects(
    asr.transcribe(new Uint8Array(wav.subarray(0, wav.length / 2))),
    (e: HearthError) => e.code === "unsupported_media" && /truncated/.test(e.message),
  );
  await assert.rejects(
    asr.transcribe(encodeWav(new Float32Array(0), 16000)),
    (e: HearthError) => e.code === "unsupported_media" && /0 seconds/.test(e.message),
  );
  await assert.rejects(asr.transcribe(new Uint8Array(0)), (e: HearthError) => e.code === "unsupported_media" && /empty/.test(e.message));
  await assert.rejects(asr.transcribe(new Uint8Array(Buffer.from("not audio at all"))), (e: HearthError) => e.code === "unsupported_media");
  // a WAV whose header declares 3 hours: refused from the header, before anything is decoded
  const threeHours = Buffer.from(encodeWav(new Float32Array(160), 16000));
  threeHours.writeUInt32LE(3 * 3600 * 16000 * 2, 40);
  const t0 = performance.now();
  await assert.rejects(
    asr.transcribe(new Uint8Array(threeHours)),
    (e: HearthError) => e.code === "unsupported_media" && /3 h 0 min/.test(e.message),
  );
  assert.ok(performance.now() - t0 < 500);
  const r = await asr.transcribe(speech);
  assert.ok(r.segments.length >= 1);
});

test("a file that is not a whisper model is refused at load", async () => {
  const bogus = path.join(dir, "ggml-bogus.bin");
  writeFileSync(bogus, "definitely not a model");
  await assert.rejects(
    ASR.load(bogus),
    (e: HearthError) => e.code === "unsupported_architecture" && /not a whisper.cpp ggml model/.test(e.message),
  );
});

test("isolate: true loads the engine in a runner process, which transcribes and goes away on dispose", async () => {
  const { execFileSync } = await import("node:child_process");
  const children = () => execFileSync("ps", ["--ppid", String(process.pid), "-o", "args="], { encoding: "utf8" });
  const before = children()
    .split("\n")
    .filter((l) => l.includes("runnerEntry")).length;
  const iso = await ASR.load(await ensureWhisperFixture(), { threads: 1, temperatureInc: 0, isolate: true });
  try {
    assert.equal(iso.info.backend, "whisper");
    assert.equal(
      children()
        .split("\n")
        .filter((l) => l.includes("runnerEntry")).length,
      before + 1,
    );
    const r = await iso.transcribe(speech, { language: "en" });
    assert.ok(Math.abs(r.durationMs - soxDurationMs(speech)) < 5);
  } finally {
    await iso.dispose();
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(
    children()
      .split("\n")
      .filter((l) => l.includes("runnerEntry")).length,
    before,
  );
});

test("the whisper engine's GPU probe tries the cuda and vulkan builds and says why they do not load here", async () => {
  const { default: createBackend } = await import("../../src/backends/whisper/index.ts");
  const backend = await createBackend();
  const gpu = (await backend.probe()).find((p) => p.device === "gpu")!;
  if (gpu.available) return; // a machine with a GPU driver: nothing to refuse
  // each variant: not installed, or the driver library it needs is missing (libcudart, libvulkan)
  assert.match(gpu.reason ?? "", /^cuda: .+; vulkan: .+$/);
  assert.doesNotMatch(gpu.reason ?? "", /not probed/);
  await assert.rejects(
    backend.load({ dir, primary: await ensureWhisperFixture(), format: "ggml", type: "asr" }, { device: "gpu" }),
    (e: HearthError) => e.code === "backend_unavailable" && e.message.includes(gpu.reason!),
  );
});
