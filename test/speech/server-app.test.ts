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
    model: path.basename(ttsDir),
    input: "Hello from the served model.",
    voice: "dmitri" as never,
    response_format: "wav",
    speed: 1.25,
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

test("the speech routes share the server's admission and errors: a full queue is 429 with Retry-After, counted in /metrics; a client that leaves frees its slot", async () => {
  const busy = await startServer({ models: [ttsDir], parallel: 1, queueLimit: 0 });
  try {
    const id = path.basename(ttsDir);
    const long = Array.from({ length: 40 }, (_, i) => `This is sentence number ${i + 1} of a long text.`).join(" ");
    const speak = (signal?: AbortSignal) =>
      fetch(`${busy.base}/v1/audio/speech`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        signal,
        body: JSON.stringify({ model: id, input: long, stream_format: "sse" }),
      });
    // the first holds the one slot while it streams; the second finds no room to wait
    const ac = new AbortController();
    const first = await speak(ac.signal);
    assert.equal(first.status, 200);
    const reader = first.body!.getReader();
    await reader.read(); // the first audio chunk
    const second = await speak();
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get("retry-after")) >= 1, "Retry-After in whole seconds");
    const err = await second.json();
    assert.equal(err.error.type, "rate_limit_error");
    assert.equal(err.error.code, "queue_full");
    const metrics = await (await fetch(`${busy.base}/metrics`)).text();
    assert.match(metrics, /hearth_http_errors_total\{route="\/v1\/audio\/speech",status="429",code="queue_full"\} 1/);

    // the client leaves mid-stream: the synthesis stops and the slot is free for the next request
    ac.abort();
    await reader.cancel().catch(() => undefined);
    let active = 1;
    for (let i = 0; i < 100 && active > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      active = (await (await fetch(`${busy.base}/health`)).json()).models.find((m: { id: string }) => m.id === id).active;
    }
    assert.equal(active, 0, "the slot was released");
    const after = await fetch(`${busy.base}/v1/audio/speech`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: id, input: "Back again." }),
    });
    assert.equal(after.status, 200);
    assert.match(await (await fetch(`${busy.base}/metrics`)).text(), new RegExp(`hearth_requests_aborted_total\\{model="${id}"\\} 1`));
  } finally {
    await busy.close();
  }
});
