// `hearth infer` on speech models, through the real CLI in a child process: TTS to a WAV file that
// sox measures, --voice/--speed, --json, stdout output, clear errors; diarization of espeak-ng speech.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { runHearth } from "../helpers/cli.ts";
import { ensureTtsFixture, ensureDiarizeFixture } from "../../fixtures/speechOnnx.ts";
import { soxDurationMs } from "../multimodal/speech.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-cli-speech-"));
const env = { HEARTH_HOME: path.join(dir, "home") };
const tts = ensureTtsFixture();
const TEXT = "The library opens at nine. Please bring your card.";

after(() => rmSync(dir, { recursive: true, force: true }));

test("writes a WAV with --voice and --speed and prints a profile line with the real-time factor", async () => {
  const out = path.join(dir, "out.wav");
  const r = await runHearth(["infer", tts, "-p", TEXT, "-o", out, "--voice", "Clara", "--threads", "1"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /wrote .*out\.wav: [\d.]+ s of audio at 22050 Hz, voice Clara, speed 1, .*real-time factor [\d.]+ \([\d.]+x real time\)/,
  );
  const normal = soxDurationMs(out);
  assert.equal(execFileSync("soxi", ["-r", out], { encoding: "utf8" }).trim(), "22050");

  const fast = path.join(dir, "fast.wav");
  const f = await runHearth(["infer", tts, "-p", TEXT, "-o", fast, "--voice", "clara", "--speed", "1.25", "--threads", "1"], { env });
  assert.equal(f.code, 0, f.stderr);
  const ratio = soxDurationMs(fast) / normal;
  assert.ok(ratio > 0.74 && ratio < 0.86, `1.25x speed gave ${ratio} of the duration`);
});

test("--json describes the file; -o - writes the WAV to stdout with the profile on stderr", async () => {
  const out = path.join(dir, "j.wav");
  const j = await runHearth(["infer", tts, "-p", "Short.", "-o", out, "--json", "--threads", "1"], { env });
  assert.equal(j.code, 0, j.stderr);
  const summary = JSON.parse(j.stdout);
  assert.equal(summary.output, out);
  assert.equal(summary.sampleRate, 22050);
  assert.equal(summary.voice, "alba");
  assert.ok(Math.abs(summary.durationMs - soxDurationMs(out)) < 2);
  assert.ok(summary.profile.realTimeFactor > 0);

  const s = await runHearth(["infer", tts, "-p", "To standard output.", "-o", "-", "--threads", "1"], { env });
  assert.equal(s.code, 0, s.stderr);
  assert.ok(s.stdout.startsWith("RIFF"));
  assert.match(s.stderr, /wrote WAV to stdout/);
});

test("an unknown voice, empty text, a bad speed and an mp3 output fail with one clear line and no file", async () => {
  const out = path.join(dir, "never.wav");
  for (const [args, re] of [
    [["--voice", "alloy"], /unknown voice "alloy" \(this model has: alba, bruno, clara, dmitri\)/],
    [["--speed", "9"], /speed 9 is out of range/],
    [["--speed", "fast"], /speed NaN is out of range/],
  ] as const) {
    const r = await runHearth(["infer", tts, "-p", "Hello.", "-o", out, "--threads", "1", ...args], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const empty = await runHearth(["infer", tts, "-p", "  ", "-o", out], { env });
  assert.notEqual(empty.code, 0);
  assert.match(empty.stderr, /text to speak is empty/);
  const mp3 = await runHearth(["infer", tts, "-p", "Hello.", "-o", path.join(dir, "x.mp3")], { env });
  assert.notEqual(mp3.code, 0);
  assert.match(mp3.stderr, /cannot write \.mp3 audio/);
  assert.equal(existsSync(out), false);
});

test("diarization: turns with speaker numbers and a profile line; --json gives the segments", async () => {
  const a = path.join(dir, "a.wav");
  const b = path.join(dir, "b.wav");
  const two = path.join(dir, "two.wav");
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
  execFileSync("sox", [a, b, two]);
  const model = ensureDiarizeFixture().dir;
  const r = await runHearth(["infer", model, "-i", two, "--num-speakers", "2", "--threads", "1"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[00:0\d\.\d\d -> 00:0\d\.\d\d\] speaker [01]/);
  assert.match(r.stdout, /\d+ turns, [12] speakers?, in [\d.]+ s, real-time factor/);
  const j = await runHearth(["infer", model, "-i", two, "--json", "--threads", "1"], { env });
  assert.equal(j.code, 0, j.stderr);
  const result = JSON.parse(j.stdout);
  assert.ok(result.segments.length > 0 && result.segments.every((s: { startMs: number; endMs: number }) => s.startMs < s.endMs));
  const none = await runHearth(["infer", model, "--threads", "1"], { env });
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no audio to diarize/);
});
