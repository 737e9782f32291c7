// The speech routes inside the real server (buildServer): TTS and diarization models given as
// folders to `hearth serve`, loaded by the model manager, called with the official openai client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { ensureTtsFixture, ensureDiarizeFixture } from "../../fixtures/speechOnnx.ts";
import { startServer, useTempHome, type TestServer } from "../server/helpers.ts";

const home = useTempHome();
let server: TestServer;
const ttsDir = ensureTtsFixture();
const diarizeDir = ensureDiarizeFixture().dir;

before(async () => {
  server = await startServer({ models: [ttsDir, diarizeDir] });
});

after(async () => {
  await server?.close();
});

test("the openai client's audio.speech.create gets a WAV from a served TTS folder (named by the folder)", async () => {
  const res = await server.client.audio.speech.create({
    model: path.basename(ttsDir), input: "Hello from the served model.", voice: "dmitri" as never, response_format: "wav", speed: 1.25,
  });
  const wav = Buffer.from(await res.arrayBuffer());
  assert.equal(wav.subarray(0, 4).toString("ascii"), "RIFF");
  assert.equal(wav.readUInt32LE(24), 22050, "sample rate in the WAV header");
});

test("an unknown voice is a 400 the openai client raises as BadRequestError", async () => {
  await assert.rejects(
    server.client.audio.speech.create({ model: path.basename(ttsDir), input: "hi", voice: "alloy" }),
    (e: Error & { status?: number }) => e.status === 400 && /unknown voice "alloy"/.test(e.message),
  );
});

test("diarization through the manager; a TTS model asked to diarize is refused", async () => {
  const wav = path.join(home, "talk.wav");
  execFileSync("espeak-ng", ["-w", wav, "Two people would talk here, one after the other, for a few seconds."]);
  const form = new FormData();
  form.set("model", path.basename(diarizeDir));
  form.set("file", new Blob([new Uint8Array(readFileSync(wav))]), "talk.wav");
  const res = await fetch(`${server.base}/v1/audio/diarize`, { method: "POST", body: form });
  assert.equal(res.status, 200);
  const j = await res.json();
  assert.ok(Array.isArray(j.segments) && j.segments.length > 0);

  const wrong = new FormData();
  wrong.set("model", path.basename(ttsDir));
  wrong.set("file", new Blob([new Uint8Array(readFileSync(wav))]), "talk.wav");
  const bad = await fetch(`${server.base}/v1/audio/diarize`, { method: "POST", body: wrong });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error.message, /cannot do diarization/);
});
