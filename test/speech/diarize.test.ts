// Speaker diarization through the real sherpa-onnx pipeline (segmentation, embeddings, clustering)
// on random-weight fixtures, fed real speech from espeak-ng: two voices one after the other. The
// speaker labels mean little with random weights; the shapes, ordering, limits and errors are real.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { Diarizer } from "../../src/sdk/Diarizer.ts";
import type { HearthError } from "../../src/errors/HearthError.ts";
import { ensureDiarizeFixture } from "../../fixtures/speechOnnx.ts";
import { soxDurationMs } from "../multimodal/speech.ts";
import { encodeWav } from "../../src/media/audio.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-diarize-"));
let d: Diarizer;
let twoVoices: string;
let durationMs: number;

before(async () => {
  const a = path.join(dir, "a.wav");
  const b = path.join(dir, "b.wav");
  execFileSync("espeak-ng", ["-v", "en-us+m3", "-w", a, "The first speaker talks about the weather today and what tomorrow brings."]);
  execFileSync("espeak-ng", [
    "-v",
    "en-us+f3",
    "-p",
    "80",
    "-w",
    b,
    "The second voice answers with the news from the market and the town hall.",
  ]);
  twoVoices = path.join(dir, "two.wav");
  execFileSync("sox", [a, b, twoVoices, "pad", "0.5", "0.5"]);
  durationMs = soxDurationMs(twoVoices);
  d = await Diarizer.load(ensureDiarizeFixture().dir, { threads: 1 });
});

after(async () => {
  await d?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function checkShape(segments: { startMs: number; endMs: number; speaker: number }[]) {
  assert.ok(segments.length > 0);
  for (const s of segments) {
    assert.ok(s.startMs >= 0 && s.startMs < s.endMs && s.endMs <= durationMs + 1, JSON.stringify(s));
    assert.ok(Number.isInteger(s.speaker) && s.speaker >= 0);
  }
  for (let i = 1; i < segments.length; i++) assert.ok(segments[i - 1].startMs <= segments[i].startMs, "ordered by start");
}

test("two voices, two speakers asked: time-ordered turns of speakers 0 and 1 within the audio", async () => {
  const r = await d.diarize(twoVoices, { numSpeakers: 2 });
  checkShape(r.segments);
  assert.deepEqual([...new Set(r.segments.map((s) => s.speaker))].sort(), [0, 1]);
  // the padding is silence: nobody speaks in the first 50 ms
  assert.ok(r.segments[0].startMs >= 50);
  assert.ok(r.profile.totalMs > 0);
  assert.ok(Math.abs(r.profile.realTimeFactor! - r.profile.totalMs / durationMs) < 0.01);
});

test("without a speaker count the clustering threshold decides; bytes work as well as paths", async () => {
  const r = await d.diarize(new Uint8Array(readFileSync(twoVoices)));
  checkShape(r.segments);
});

test("silence has no speakers", async () => {
  const silence = path.join(dir, "silence.wav");
  execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", silence, "trim", "0", "3"]);
  assert.deepEqual((await d.diarize(silence)).segments, []);
});

test("bad audio and a bad speaker count are refused; the model keeps working", async () => {
  const truncated = path.join(dir, "truncated.wav");
  writeFileSync(truncated, readFileSync(twoVoices).subarray(0, 2000));
  await assert.rejects(d.diarize(truncated), (e: HearthError) => e.code === "unsupported_media");
  await assert.rejects(d.diarize(new Uint8Array(0)), (e: HearthError) => e.code === "unsupported_media");
  await assert.rejects(
    d.diarize(encodeWav(new Float32Array(0), 16000)),
    (e: HearthError) => e.code === "unsupported_media" && /0 seconds/.test(e.message),
  );
  // a WAV whose header declares 3 hours: refused from the header, before anything is decoded
  const threeHours = Buffer.from(encodeWav(new Float32Array(160), 16000));
  threeHours.writeUInt32LE(3 * 3600 * 16000 * 2, 40);
  await assert.rejects(
    d.diarize(new Uint8Array(threeHours)),
    (e: HearthError) => e.code === "unsupported_media" && /3 h 0 min/.test(e.message),
  );
  await assert.rejects(
    d.diarize(twoVoices, { numSpeakers: 0 }),
    (e: HearthError) => e.code === "bad_input" && /numSpeakers/.test(e.message),
  );
  await assert.rejects(d.diarize(twoVoices, { numSpeakers: 1.5 }), (e: HearthError) => e.code === "bad_input");
  assert.ok((await d.diarize(twoVoices, { numSpeakers: 2 })).segments.length > 0);
});

test("the embedding model can live elsewhere; a segmentation model alone is refused clearly", async () => {
  const { segmentation, embedding } = ensureDiarizeFixture();
  const alone = path.join(dir, "alone");
  mkdirSync(alone);
  copyFileSync(segmentation, path.join(alone, "model.onnx"));
  await assert.rejects(Diarizer.load(alone), (e: HearthError) => e.code === "bad_input" && /speaker embedding/.test(e.message));
  const d2 = await Diarizer.load(path.join(alone, "model.onnx"), { embedding, threads: 1 });
  try {
    checkShape((await d2.diarize(twoVoices, { numSpeakers: 2 })).segments);
  } finally {
    await d2.dispose();
  }
  // an embedding model is not a segmentation model
  await assert.rejects(Diarizer.load(embedding), (e: HearthError) => e.code === "unsupported_architecture");
});
