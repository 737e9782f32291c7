// POST /v1/audio/speech and /v1/audio/diarize over real HTTP in the real server (127.0.0.1, port 0),
// the real sherpa-onnx engine on random-weight fixtures run by the scheduler like any model.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { PCM_SAMPLE_RATE } from "../../src/server/routes/speech.ts";
import { ensureTtsFixture, ensureDiarizeFixture } from "../../fixtures/speechOnnx.ts";
import { soxDurationMs } from "../multimodal/speech.ts";
import { startServer, useTempHome, type TestServer } from "../server/helpers.ts";

const dir = useTempHome();
let server: TestServer;
let base: string;
let twoVoices: Buffer;
const ttsDir = ensureTtsFixture();
const diarizeDir = ensureDiarizeFixture().dir;
// the ids `hearth serve <folder>` gives them
const ttsId = path.basename(ttsDir);
const diarizeId = path.basename(diarizeDir);

before(async () => {
  const a = path.join(dir, "a.wav");
  const b = path.join(dir, "b.wav");
  execFileSync("espeak-ng", ["-v", "en-us+m3", "-w", a, "Hello, this is the first speaker on the line."]);
  execFileSync("espeak-ng", ["-v", "en-us+f3", "-p", "80", "-w", b, "And this is the second one, answering."]);
  execFileSync("sox", [a, b, path.join(dir, "two.wav")]);
  twoVoices = readFileSync(path.join(dir, "two.wav"));
  server = await startServer({ models: [ttsDir, diarizeDir] });
  base = server.base;
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const speech = (body: unknown) =>
  fetch(`${base}/v1/audio/speech`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function expectError(res: Response, status: number, re: RegExp, param?: string) {
  assert.equal(res.status, status);
  const j = await res.json();
  assert.equal(j.error.type, status === 404 ? "not_found_error" : status < 500 ? "invalid_request_error" : "server_error");
  assert.match(j.error.message, re);
  if (param) assert.equal(j.error.param, param);
}

test("wav: a 16-bit WAV at the model's rate that sox reads; speed shortens it", async () => {
  const res = await speech({ model: ttsId, input: "The quick brown fox jumps over the lazy dog.", voice: "bruno" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "audio/wav");
  const file = path.join(dir, "out.wav");
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  assert.equal(execFileSync("soxi", ["-r", file], { encoding: "utf8" }).trim(), "22050");
  assert.equal(execFileSync("soxi", ["-b", file], { encoding: "utf8" }).trim(), "16");
  const normal = soxDurationMs(file);
  assert.ok(Math.abs(normal - Number(res.headers.get("x-audio-duration-ms"))) < 2);
  assert.ok(Number(res.headers.get("x-real-time-factor")) > 0);

  const fast = await speech({ model: ttsId, input: "The quick brown fox jumps over the lazy dog.", voice: "bruno", speed: 1.5 });
  writeFileSync(file, Buffer.from(await fast.arrayBuffer()));
  const r = soxDurationMs(file) / normal;
  assert.ok(r > 0.6 && r < 0.72, `1.5x speed: ${r} of the duration`);
});

test("pcm: raw 16-bit samples at 24 kHz, as OpenAI's pcm format", async () => {
  const res = await speech({ model: ttsId, input: "Counting one two three.", response_format: "pcm" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "audio/pcm");
  assert.equal(Number(res.headers.get("x-sample-rate")), PCM_SAMPLE_RATE);
  const bytes = Buffer.from(await res.arrayBuffer());
  const ms = Number(res.headers.get("x-audio-duration-ms"));
  assert.equal(bytes.length % 2, 0);
  // the duration header is whole milliseconds: 24 samples each
  assert.ok(Math.abs(bytes.length / 2 - (ms / 1000) * PCM_SAMPLE_RATE) <= 24, `${bytes.length / 2} samples for ${ms} ms`);
});

test("stream_format sse: speech.audio.delta events of base64 PCM that add up to the audio, then speech.audio.done", async () => {
  const input = "First sentence. Second sentence! Third one?";
  const res = await speech({ model: ttsId, input, voice: "clara", stream_format: "sse", response_format: "pcm" });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const events = (await res.text())
    .split("\n\n")
    .filter(Boolean)
    .map((e) => JSON.parse(e.replace(/^data: /, "")));
  const deltas = events.filter((e) => e.type === "speech.audio.delta");
  assert.equal(deltas.length, 3, "a chunk per sentence");
  const done = events.at(-1);
  assert.equal(done.type, "speech.audio.done");
  assert.equal(done.usage.input_tokens, input.length);
  const samples = deltas.reduce((n, d) => n + Buffer.from(d.audio, "base64").length / 2, 0);
  // each chunk is resampled to 24 kHz on its own: the sum may differ from the whole by a sample a chunk
  assert.ok(
    Math.abs(samples - (done.duration_ms / 1000) * PCM_SAMPLE_RATE) <= deltas.length + 1,
    `${samples} samples, ${done.duration_ms} ms`,
  );
  const whole = await speech({ model: ttsId, input, voice: "clara", response_format: "pcm" });
  assert.equal(Math.round(done.duration_ms), Math.round(Number(whole.headers.get("x-audio-duration-ms"))));
});

test("bad requests get 400 (404 for an unknown model) in OpenAI's error shape, and the server keeps serving", async () => {
  await expectError(await speech({ model: ttsId, input: "" }), 400, /`input` is empty/, "input");
  await expectError(await speech({ model: ttsId, input: "   " }), 400, /`input` is empty/, "input");
  await expectError(await speech({ model: ttsId }), 400, /input is required/, "input");
  await expectError(await speech({ model: ttsId, input: 5 }), 400, /input must be string/, "input");
  await expectError(await speech({ input: "hello" }), 400, /model is required/, "model");
  await expectError(
    await speech({ model: ttsId, input: "hello", voice: "alloy" }),
    400,
    /unknown voice "alloy".*alba, bruno, clara, dmitri/,
  );
  await expectError(await speech({ model: ttsId, input: "hello", voice: "alloy", stream_format: "sse" }), 400, /unknown voice/);
  await expectError(await speech({ model: ttsId, input: "hello", speed: 4.5 }), 400, /speed must be <= 4/, "speed");
  await expectError(await speech({ model: ttsId, input: "hello", speed: 0.1 }), 400, /speed must be >= 0.25/, "speed");
  await expectError(await speech({ model: ttsId, input: "hello", speed: "fast" }), 400, /speed must be number/, "speed");
  await expectError(
    await speech({ model: ttsId, input: "hello", response_format: "mp3" }),
    400,
    /response_format must be one of: wav, pcm$/,
    "response_format",
  );
  await expectError(
    await speech({ model: ttsId, input: "hello", stream_format: "ws" }),
    400,
    /stream_format must be one of: audio, sse/,
    "stream_format",
  );
  await expectError(
    await speech({ model: ttsId, input: "x".repeat(20001) }),
    400,
    /20001 characters, more than the limit of 20000/,
    "input",
  );
  await expectError(await speech({ model: ttsId, input: "日本語" }), 400, /nothing to say/);
  await expectError(await speech({ model: "tts-1", input: "hello" }), 404, /"tts-1" is not served here/);
  assert.equal((await speech({ model: ttsId, input: "still here." })).status, 200);
});

function form(fields: Record<string, string>, file?: Buffer) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  if (file) f.set("file", new Blob([new Uint8Array(file)]), "talk.wav");
  return f;
}

const diarize = (body: FormData) => fetch(`${base}/v1/audio/diarize`, { method: "POST", body });

test("diarize: time-ordered segments in seconds with speaker numbers", async () => {
  const res = await diarize(form({ model: diarizeId, num_speakers: "2" }, twoVoices));
  assert.equal(res.status, 200);
  const j = await res.json();
  assert.equal(j.model, diarizeId);
  // at most the two asked for (one 5 s window of random-weight segmentation may find one)
  assert.ok(j.num_speakers >= 1 && j.num_speakers <= 2);
  assert.equal(j.num_speakers, new Set(j.segments.map((s: { speaker: number }) => s.speaker)).size);
  const total = soxDurationMs(path.join(dir, "two.wav")) / 1000;
  for (const s of j.segments)
    assert.ok(s.start >= 0 && s.start < s.end && s.end <= total + 0.001 && [0, 1].includes(s.speaker), JSON.stringify(s));
  for (let i = 1; i < j.segments.length; i++) assert.ok(j.segments[i - 1].start <= j.segments[i].start);
  assert.ok(j.profile.realTimeFactor > 0);
});

test("diarize: missing file, bad speaker count, corrupt audio and unknown model are refused", async () => {
  await expectError(await diarize(form({ model: diarizeId })), 400, /file is required/, "file");
  await expectError(await diarize(form({}, twoVoices)), 400, /model is required/, "model");
  await expectError(await diarize(form({ model: diarizeId, num_speakers: "zero" }, twoVoices)), 400, /num_speakers/, "num_speakers");
  await expectError(await diarize(form({ model: diarizeId }, Buffer.from("not audio at all"))), 400, /unrecognised audio format/);
  await expectError(await diarize(form({ model: "pyannote" }, twoVoices)), 404, /"pyannote" is not served here/);
  const json = await fetch(`${base}/v1/audio/diarize`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  await expectError(json, 400, /multipart/);
});
