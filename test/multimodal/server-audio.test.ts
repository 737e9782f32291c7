// POST /v1/audio/transcriptions over real HTTP in the real server (buildServer), with the real
// whisper engine on the random-weight fixture run by the scheduler; and OpenAI content parts ->
// ContentParts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fromOpenAIContent } from "../../src/server/openaiContent.ts";
import type { HearthError } from "../../src/errors/HearthError.ts";
import { decodeAudio } from "../../src/media/audio.ts";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import { say } from "./speech.ts";
import { solidPng, hugePngHeader } from "./images.ts";
import { startServer, useTempHome, type TestServer } from "../server/helpers.ts";
import sharp from "sharp";
import { toFile } from "openai";

const dir = useTempHome();
let server: TestServer;
let base: string;
let wav: Buffer;
let model: string;

before(async () => {
  const whisper = await ensureWhisperFixture();
  model = path.basename(whisper).replace(/\.bin$/, "");
  wav = readFileSync(say("testing the transcription endpoint", path.join(dir, "t.wav")));
  server = await startServer({ models: [whisper], load: { threads: 2, extra: { temperatureInc: 0 } } });
  base = server.base;
});

after(async () => {
  await server?.close();
});

function form(fields: Record<string, string>, file?: Buffer, name = "speech.wav") {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  if (file) f.set("file", new Blob([new Uint8Array(file)]), name);
  return f;
}

const post = (body: FormData) => fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body });

test("json, text, srt, vtt and verbose_json responses", async () => {
  const json = await post(form({ model, language: "en" }, wav));
  assert.equal(json.status, 200);
  const j = await json.json();
  assert.equal(typeof j.text, "string");

  const verbose = await (await post(form({ model, language: "en", response_format: "verbose_json" }, wav))).json();
  assert.equal(verbose.task, "transcribe");
  assert.equal(verbose.language, "en");
  const seconds = (await decodeAudio(wav)).durationMs / 1000;
  assert.ok(Math.abs(verbose.duration - seconds) < 0.01);
  assert.ok(verbose.segments.length >= 1);
  for (const s of verbose.segments) assert.ok(s.start >= 0 && s.end <= seconds + 0.001 && typeof s.text === "string");

  const text = await post(form({ model, response_format: "text" }, wav));
  assert.match(text.headers.get("content-type")!, /text\/plain/);
  const srt = await (await post(form({ model, response_format: "srt" }, wav))).text();
  assert.match(srt, /^1\n\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d\n/);
  const vtt = await (await post(form({ model, response_format: "vtt" }, wav))).text();
  assert.match(vtt, /^WEBVTT\n\n\d\d:\d\d:\d\d\.\d\d\d --> /);
});

test("the openai client's audio.transcriptions.create reads the text; the lease is released after", async () => {
  const r = await server.client.audio.transcriptions.create({ model, file: await toFile(wav, "t.wav"), language: "en" });
  assert.equal(typeof r.text, "string");
  const health = await (await fetch(`${base}/health`)).json();
  const m = health.models.find((x: { id: string }) => x.id === model);
  assert.equal(m.type, "asr");
  assert.equal(m.active, 0, "no request holds the model after the answer");
});

test("bad requests get OpenAI-shaped 4xx errors and the server keeps serving", async () => {
  const cases: [FormData, number, RegExp, string | null][] = [
    [form({ model }, wav.subarray(0, wav.length / 3)), 400, /truncated/, null],
    [form({ model }, Buffer.from("garbage bytes")), 400, /unrecognised audio format/, null],
    [form({ model }), 400, /file is required/, "file"],
    [form({}, wav), 400, /model is required/, "model"],
    [form({ model: "nope" }, wav), 404, /"nope" is not served here/, null],
    [
      form({ model, response_format: "mp4" }, wav),
      400,
      /response_format must be one of: json, text, srt, vtt, verbose_json/,
      "response_format",
    ],
    // a language whisper.cpp does not know used to kill the runner (503, and a step toward fallback)
    [form({ model, language: "zz" }, wav), 400, /whisper does not know the language "zz"/, null],
    [form({ model, language: "x".repeat(30) }, wav), 400, /does not know the language/, null],
  ];
  for (const [body, status, message, param] of cases) {
    const r = await post(body);
    assert.equal(r.status, status);
    const e = await r.json();
    assert.match(e.error.message, message);
    assert.equal(e.error.param, param);
    assert.equal(typeof e.error.code, "string");
  }
  const notMultipart = await fetch(`${base}/v1/audio/transcriptions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(notMultipart.status, 400);
  assert.match((await notMultipart.json()).error.message, /expected a multipart\/form-data body/);
  assert.equal((await post(form({ model }, wav))).status, 200);
  const health = await (await fetch(`${base}/health`)).json();
  assert.deepEqual(health.runnerExits, [], "no runner died");
  // a language named in full or in capitals is whisper's too
  assert.equal((await post(form({ model, language: "English" }, wav))).status, 200);
});

test("OpenAI image_url and input_audio parts become decoded, resized ContentParts", async () => {
  const png = await solidPng(2000, 500);
  const parts = await fromOpenAIContent(
    [
      { type: "text", text: "look" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${png.toString("base64")}` } },
      { type: "input_audio", input_audio: { data: wav.toString("base64"), format: "wav" } },
    ],
    { imageMaxLength: 512 },
  );
  assert.ok(Array.isArray(parts));
  const [t, image, audio] = parts as Exclude<typeof parts, string>;
  assert.deepEqual(t, { type: "text", text: "look" });
  assert.equal(image.type, "image");
  const meta = await sharp((image as { data: Uint8Array }).data).metadata();
  assert.deepEqual([meta.width, meta.height], [512, 128]);
  assert.equal(audio.type, "audio");
  const decoded = await decodeAudio((audio as { data: Uint8Array }).data, { sampleRate: 16000 });
  assert.ok(decoded.durationMs > 500);
});

test("remote image URLs, local paths, corrupt and huge images are refused as bad input", async () => {
  const expect = async (part: object, code: string, re: RegExp) =>
    assert.rejects(fromOpenAIContent([part as never]), (e: HearthError) => e.code === code && re.test(e.message));
  await expect({ type: "image_url", image_url: { url: "https://example.com/cat.png" } }, "bad_input", /remote/);
  await expect({ type: "image_url", image_url: { url: "/etc/passwd" } }, "bad_input", /data: URI or an http/);
  await expect({ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }, "unsupported_media", /cannot read the image/);
  await expect(
    { type: "image_url", image_url: { url: `data:image/png;base64,${hugePngHeader().toString("base64")}` } },
    "unsupported_media",
    /20000x20000/,
  );
  await expect({ type: "input_audio", input_audio: { data: "AAAA", format: "aiff" } }, "bad_input", /not supported/);
  await expect({ type: "video_url", video_url: {} }, "bad_input", /unsupported type/);
});
