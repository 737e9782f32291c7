// The CLI's media handling: paths typed or dropped into a prompt, and `infer` on an ASR model.
import { stripVTControlCharacters } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { extractMediaPaths, runAsrInfer } from "../../src/cli/infer/media.ts";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import { say } from "./speech.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-cli-media-"));
const img = path.join(dir, "cat photo.png");
const wav = path.join(dir, "talk.wav");
writeFileSync(img, "x");
writeFileSync(wav, "x");
writeFileSync(path.join(dir, "plain.jpg"), "x");

test("quoted paths, escaped spaces and file:// URIs become media, in order, with the text kept", () => {
  const r = extractMediaPaths(`what is in '${img}' and "${wav}"? compare ${dir}/plain.jpg`);
  assert.deepEqual(
    r.media.map((m) => [path.basename(m.path), m.kind]),
    [
      ["cat photo.png", "image"],
      ["talk.wav", "audio"],
      ["plain.jpg", "image"],
    ],
  );
  assert.equal(r.text, "what is in and ? compare");
  assert.deepEqual(
    r.parts.map((p) => p.type),
    ["text", "image", "text", "audio", "text", "image"],
  );
  const dropped = extractMediaPaths(`${img.replace(/ /g, "\\ ")} describe it`);
  assert.equal(dropped.media[0]?.path, img);
  assert.equal(dropped.text, "describe it");
  const uri = extractMediaPaths(`file://${encodeURI(img)} ok`);
  assert.equal(uri.media[0]?.path, img);
});

test("~ expands to the home directory; relative paths resolve against cwd", () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-home-"));
  mkdirSync(path.join(home, "pics"));
  writeFileSync(path.join(home, "pics", "a.webp"), "x");
  const old = process.env.HOME;
  process.env.HOME = home;
  try {
    assert.equal(extractMediaPaths("see ~/pics/a.webp").media[0]?.path, path.join(home, "pics", "a.webp"));
  } finally {
    process.env.HOME = old;
  }
  assert.equal(extractMediaPaths("see plain.jpg", { cwd: dir }).media[0]?.path, path.join(dir, "plain.jpg"));
});

test("words that look like files but are not, and non-media files, stay text", () => {
  writeFileSync(path.join(dir, "notes.txt"), "x");
  const r = extractMediaPaths(`rename image.png to photo.jpg, read ${dir}/notes.txt`);
  assert.equal(r.media.length, 0);
  assert.equal(r.text, `rename image.png to photo.jpg, read ${dir}/notes.txt`);
});

test("runAsrInfer prints timed segments and a profile line with the real-time factor; --json prints the result", async () => {
  const model = await ensureWhisperFixture();
  const speech = say("hello there", path.join(dir, "hello.wav"));
  const lines: string[] = [];
  // picocolors colours output when CI is set, terminal or not: compare the text without escapes
  await runAsrInfer(model, {
    input: speech,
    language: "en",
    threads: 2,
    temperatureInc: 0,
    out: (l) => lines.push(stripVTControlCharacters(l)),
  });
  assert.match(lines[0], /^\[\d\d:\d\d\.\d\d -> \d\d:\d\d\.\d\d\] /);
  assert.match(lines[lines.length - 1], /of audio in [\d.]+ s, real-time factor [\d.]+ \([\d.]+x real time\), language en, whisper\/cpu/);
  const json: string[] = [];
  await runAsrInfer(model, { input: speech, json: true, threads: 2, temperatureInc: 0, out: (l) => json.push(l) });
  const r = JSON.parse(json.join("\n"));
  assert.ok(r.durationMs > 500 && Array.isArray(r.segments) && r.profile.realTimeFactor > 0);
  await assert.rejects(runAsrInfer(model, { input: path.join(dir, "missing.wav") }), /no such file/);
});
