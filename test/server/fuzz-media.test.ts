// A fuzz pass over the media routes (fuzz.test.ts covers the JSON text routes): /v1/cv (JSON and
// multipart), /v1/audio/transcriptions, /v1/audio/speech and /v1/audio/diarize, each with hundreds of
// malformed bodies: broken multipart (bad or missing boundaries, truncated at any byte, parts without
// names, JSON-typed fields, prototype names, too many parts or files), wrong types, huge fields,
// truncated, empty, oversized and foreign files, wrong content types. Every answer must be a 4xx in
// OpenAI's error shape (or a normal answer), never a 5xx; afterwards every route still answers a
// normal request. The engines are real (whisper, sherpa-onnx, onnxruntime) on fixtures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { encodeWav } from "../../src/media/audio.ts";
import { seededRandom } from "../../src/bench/prompt.ts";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import { ensureTtsFixture, ensureDiarizeFixture } from "../../fixtures/speechOnnx.ts";
import { repoRoot } from "../helpers/cli.ts";
import { hugePngHeader, notAnImage } from "../cv/badImages.ts";
import { startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
const LIMIT = 1024 * 1024;
let server: TestServer;
let asrId: string;
const ttsDir = ensureTtsFixture();
const diarizeDir = ensureDiarizeFixture().dir;
const ttsId = path.basename(ttsDir);
const diarizeId = path.basename(diarizeDir);
const png = readFileSync(path.join(repoRoot, "examples/hello.png"));
// half a second of silence: a valid recording the engines finish at once (voice activity detection
// finds nothing to decode), so the fuzz spends its time on the server, not on random-weight decoding
const silence = Buffer.from(encodeWav(new Float32Array(8000), 16000));

before(async () => {
  const whisper = await ensureWhisperFixture();
  asrId = path.basename(whisper).replace(/\.bin$/, "");
  server = await startServer({
    models: [whisper, ttsDir, diarizeDir, "ocr"],
    parallel: 2,
    queueLimit: 256,
    bodyLimitBytes: LIMIT,
    load: { threads: 1, extra: { temperatureInc: 0 } },
  });
});

after(async () => {
  await server?.close();
});

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

/** Text a form field may carry. */
const WEIRD_TEXT = [
  "",
  " ",
  "x",
  "0",
  "-1",
  "1e999",
  "NaN",
  "null",
  "true",
  "[]",
  "{}",
  "\u0000",
  "\ud800",
  "é".repeat(300),
  "x".repeat(70_000),
  "../../etc/passwd",
  "/etc/hostname",
  "data:",
  "data:image/png;base64,AAAA",
  "auto",
  "zz",
  "english",
  "5",
  "101",
  "2.5",
  "verbose_json",
  "mp3",
];
/** Values a JSON field may carry. */
const WEIRD_JSON: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -1e308,
  1e308,
  2 ** 64,
  "",
  "x",
  "x".repeat(50_000),
  "\u0000\ud800",
  [],
  [null],
  [[[[[]]]]],
  {},
  { a: { b: {} } },
  ["a", 1, null],
  { __proto__: { polluted: true } },
  { constructor: { prototype: {} } },
  -0,
  "1e999",
  "NaN",
  [1, 2, 3],
  { type: "nonsense" },
];

interface Part {
  name: string;
  data: Buffer | string;
  filename?: string;
  type?: string;
}

function multipart(parts: Part[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ""}\r\n`;
    chunks.push(Buffer.from(head), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** One malformed request. */
interface Case {
  route: string;
  body: Buffer | string;
  type?: string;
}

/** Files a client might send by mistake, and the field they go in. */
function badFile(rnd: Rnd, good: Buffer): Buffer {
  return pick(rnd, [
    () => good.subarray(0, Math.floor(rnd() * good.length)), // truncated at any byte
    () => good.subarray(0, 44), // a WAV header and no samples
    () => Buffer.alloc(0),
    () => Buffer.from("garbage bytes"),
    () => notAnImage,
    () => hugePngHeader(),
    () => (good === png ? silence : png), // the other kind of media
    () => Buffer.concat([good.subarray(0, 40), Buffer.from([0xff, 0xff, 0xff, 0x7f])]), // a header that claims 2 GB
    () => Buffer.alloc(LIMIT + 1000, 7), // over the upload limit
    () => Buffer.from(good).fill(0, 12, 40), // a zeroed format chunk
  ])();
}

/** A multipart route's malformed request: good parts, then one or more things wrong with them. */
function formCase(rnd: Rnd, route: string, good: Part[], fields: string[], i: number): Case {
  const parts: Part[] = good.map((p) => ({ ...p }));
  const boundary = `----hearthfuzz${Math.floor(rnd() * 1e9)}`;
  const type = `multipart/form-data; boundary=${boundary}`;
  const file = parts.find((p) => p.filename !== undefined)!;
  const kind = i % 12;
  if (kind <= 2) {
    // a wrong or absurd value in a known text field
    const name = pick(rnd, fields);
    const existing = parts.find((p) => p.name === name && p.filename === undefined);
    if (existing) existing.data = pick(rnd, WEIRD_TEXT);
    else parts.push({ name, data: pick(rnd, WEIRD_TEXT) });
  } else if (kind === 3) {
    // a bad file: truncated, empty, foreign, oversized
    file.data = badFile(rnd, file.data as Buffer);
  } else if (kind === 4) {
    // fields missing, the file under another name, the file sent as text, a text field sent as a file
    const what = pick(rnd, ["drop-model", "drop-file", "rename-file", "file-as-text", "model-as-file", "two-files", "dup-model"]);
    if (what === "drop-model")
      parts.splice(
        parts.findIndex((p) => p.name === "model"),
        1,
      );
    else if (what === "drop-file") parts.splice(parts.indexOf(file), 1);
    else if (what === "rename-file") file.name = pick(rnd, ["upload", "audio", "files[]", ""]);
    else if (what === "file-as-text") file.filename = undefined;
    else if (what === "model-as-file") parts.find((p) => p.name === "model")!.filename = "model.txt";
    else if (what === "two-files") parts.push({ ...file });
    else parts.push({ name: "model", data: pick(rnd, ["other", ""]) });
  } else if (kind === 5) {
    // a JSON-typed field (the form parser reads it as JSON): valid with a wrong type, or invalid
    const name = pick(rnd, fields);
    parts.push({ name, data: pick(rnd, [JSON.stringify(pick(rnd, WEIRD_JSON)), "{not json", ""]), type: "application/json" });
  } else if (kind === 6) {
    // names that would reach the prototype, or odd names
    parts.push({ name: pick(rnd, ["__proto__", "constructor", "toString", "hasOwnProperty", "", 'a"b', "x".repeat(2000)]), data: "1" });
  } else if (kind === 7) {
    // too many fields, parts or files
    const n = pick(rnd, [17, 70, 200]);
    for (let k = 0; k < n; k++)
      parts.push(
        pick(rnd, [
          { name: `f${k}`, data: "v" },
          { name: `g${k}`, data: Buffer.from("x"), filename: "x.bin" },
        ]),
      );
  } else if (kind === 8) {
    // the body cut short at any byte (the closing boundary lost)
    const whole = multipart(parts, boundary);
    return { route, body: whole.subarray(0, Math.floor(rnd() * whole.length)), type };
  } else if (kind === 9) {
    // a broken envelope: no or wrong boundary, garbage, missing headers, bare LFs
    const whole = multipart(parts, boundary);
    return pick(rnd, [
      () => ({ route, body: whole, type: "multipart/form-data" }),
      () => ({ route, body: whole, type: "multipart/form-data; boundary=other" }),
      () => ({ route, body: whole, type: `multipart/mixed; boundary=${boundary}` }),
      () => ({ route, body: whole.toString("latin1").replace(/\r\n/g, "\n"), type }),
      () => ({ route, body: whole.toString("latin1").replace(/Content-Disposition: [^\r]*/, "X-Nothing: 1"), type }),
      () => ({ route, body: whole.toString("latin1").replace(/name="[^"]*"/, "name="), type }),
      () => ({ route, body: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n`), type }),
      () => ({ route, body: Buffer.alloc(0), type }),
      () => ({
        route,
        body: Buffer.concat([Buffer.from(`--${boundary}\r\n`), Buffer.alloc(20_000, 0x41), Buffer.from("\r\n\r\nx")]),
        type,
      }),
      () => ({ route, body: Buffer.from(Array.from({ length: 2000 }, () => Math.floor(rnd() * 256))), type }),
    ])();
  } else if (kind === 10) {
    // the wrong content type, or a JSON body on a form route
    return pick(rnd, [
      () => ({ route, body: JSON.stringify({ model: "x", file: "AAAA" }), type: "application/json" }),
      () => ({ route, body: "model=x&file=y", type: "application/x-www-form-urlencoded" }),
      () => ({ route, body: "hello", type: "text/plain" }),
      () => ({ route, body: "<a/>", type: "application/xml" }),
      () => ({ route, body: multipart(parts, boundary), type: "application/octet-stream" }),
      () => ({ route, body: "{", type: "application/json" }),
    ])();
  } else {
    // several things at once
    file.data = badFile(rnd, file.data as Buffer);
    const name = pick(rnd, fields);
    parts.push({ name, data: pick(rnd, WEIRD_TEXT) });
    if (rnd() < 0.5)
      parts.splice(
        parts.findIndex((p) => p.name === "model"),
        1,
      );
  }
  return { route, body: multipart(parts, boundary), type };
}

/** A JSON route's malformed request. */
function jsonCase(rnd: Rnd, route: string, good: Record<string, unknown>, fields: string[], i: number): Case {
  const b: Record<string, unknown> = structuredClone(good);
  const kind = i % 8;
  if (kind <= 2) b[pick(rnd, fields)] = pick(rnd, WEIRD_JSON);
  else if (kind === 3) {
    for (let k = 0; k < 3; k++) {
      const f = pick(rnd, fields);
      if (rnd() < 0.3) delete b[f];
      else b[f] = pick(rnd, WEIRD_JSON);
    }
  } else if (kind === 4) {
    b[`x_${Math.floor(rnd() * 1e6)}`] = pick(rnd, WEIRD_JSON);
    b[pick(rnd, fields)] = pick(rnd, WEIRD_JSON);
  } else if (kind === 5) {
    const text = JSON.stringify(b);
    const cut = Math.floor(rnd() * text.length);
    return {
      route,
      body: pick(rnd, [text.slice(0, cut), `${text}}`, `{${text}`, text.replace(/"/, "'"), "\u0000", "[]", "null", "12", '"str"', ""]),
      type: "application/json",
    };
  } else if (kind === 6) {
    return {
      route,
      body: JSON.stringify(b),
      type: pick(rnd, ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"]),
    };
  } else {
    return { route, body: JSON.stringify(pick(rnd, [[b], "body", 42, null, true])), type: "application/json" };
  }
  return { route, body: JSON.stringify(b), type: "application/json" };
}

const dataUri = (b: Buffer) => `data:image/png;base64,${b.toString("base64")}`;

/** Media for the CV JSON body: bad images as data: URIs, and strings that are no data: URI. */
function cvImage(rnd: Rnd): unknown {
  return pick(rnd, [
    dataUri(notAnImage),
    dataUri(hugePngHeader()),
    dataUri(png.subarray(0, 100)),
    "data:image/png;base64,!!!",
    "data:,",
    "file:///etc/passwd",
    "/etc/hostname",
    "http://127.0.0.1:1/x.png",
    dataUri(silence),
    ...WEIRD_JSON,
  ]);
}

function cases(): Case[] {
  const rnd = seededRandom(20261203);
  const out: Case[] = [];
  const N = 240;
  for (let i = 0; i < N; i++) {
    out.push(
      formCase(
        rnd,
        "/v1/audio/transcriptions",
        [
          { name: "model", data: asrId },
          { name: "file", data: silence, filename: "a.wav", type: "audio/wav" },
        ],
        ["model", "language", "prompt", "response_format", "temperature"],
        i,
      ),
    );
    out.push(
      formCase(
        rnd,
        "/v1/audio/diarize",
        [
          { name: "model", data: diarizeId },
          { name: "file", data: silence, filename: "a.wav", type: "audio/wav" },
        ],
        ["model", "num_speakers"],
        i,
      ),
    );
    out.push(
      formCase(
        rnd,
        "/v1/cv",
        [
          { name: "model", data: "ocr" },
          { name: "image", data: png, filename: "a.png", type: "image/png" },
        ],
        ["model", "task", "score_threshold", "iou_threshold", "image"],
        i,
      ),
    );
    out.push(
      jsonCase(
        rnd,
        "/v1/audio/speech",
        { model: ttsId, input: "Hi.", voice: "alba" },
        ["model", "input", "voice", "speed", "response_format", "stream_format"],
        i,
      ),
    );
    const cv = jsonCase(
      rnd,
      "/v1/cv",
      { model: "ocr", image: dataUri(png) },
      ["model", "image", "task", "score_threshold", "iou_threshold"],
      i,
    );
    // half the JSON CV cases carry a bad image rather than a bad field
    if (i % 2 === 0 && cv.type === "application/json" && typeof cv.body === "string" && cv.body.startsWith("{")) {
      try {
        cv.body = JSON.stringify({ ...JSON.parse(cv.body), image: cvImage(rnd) });
      } catch {}
    }
    out.push({ ...cv, route: "/v1/cv (json)" });
  }
  return out;
}

test("1,200 malformed media requests over 4 routes: every one a 4xx in OpenAI's shape (or a normal answer), never a 5xx", async () => {
  const all = cases();
  const perRoute = new Map<string, Map<number, number>>();
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const c = all[next++];
      const route = c.route.replace(" (json)", "");
      const headers: Record<string, string> = c.type ? { "content-type": c.type } : {};
      let status: number;
      let text: string;
      try {
        const res = await fetch(`${server.base}${route}`, {
          method: "POST",
          headers,
          body: typeof c.body === "string" ? c.body : new Uint8Array(c.body),
        });
        status = res.status;
        text = await res.text();
      } catch (e) {
        // the server may close the connection on a body it refused early (413), never crash
        failures.push(`${c.route}: the request failed: ${(e as Error).message} ${(e as { cause?: Error }).cause?.message ?? ""}`);
        continue;
      }
      const counts = perRoute.get(c.route) ?? new Map<number, number>();
      counts.set(status, (counts.get(status) ?? 0) + 1);
      perRoute.set(c.route, counts);
      const shown = (typeof c.body === "string" ? c.body : c.body.toString("latin1")).slice(0, 200);
      if (status >= 500) failures.push(`${status} ${c.route} ${c.type}: ${JSON.stringify(shown)} -> ${text.slice(0, 300)}`);
      else if (status >= 400) {
        let shaped = false;
        try {
          const j = JSON.parse(text);
          shaped = typeof j.error?.message === "string" && typeof j.error?.type === "string" && "param" in j.error && "code" in j.error;
        } catch {}
        if (!shaped) failures.push(`unshaped ${status} ${c.route}: ${text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  assert.deepEqual(failures, [], `${failures.length} failures:\n${failures.slice(0, 8).join("\n")}`);
  const summary = Object.fromEntries([...perRoute].map(([r, m]) => [r, Object.fromEntries([...m].sort())]));
  if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify(summary, null, 1));
  for (const [route, counts] of perRoute) {
    const n = [...counts.values()].reduce((a, b) => a + b, 0);
    const refused = [...counts].filter(([s]) => s >= 400).reduce((a, [, c]) => a + c, 0);
    assert.equal(n, 240, route);
    assert.ok(refused > n * 0.7, `${route}: only ${refused} of ${n} refused: ${JSON.stringify(summary[route])}`);
  }

  // still alive, and every route answers a normal request
  const health = await (await fetch(`${server.base}/health`)).json();
  assert.equal(health.status, "ready");
  const form = (fields: Record<string, string>, name: string, file: Buffer, fileName: string) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.set(k, v);
    f.set(name, new Blob([new Uint8Array(file)]), fileName);
    return f;
  };
  const asr = await fetch(`${server.base}/v1/audio/transcriptions`, {
    method: "POST",
    body: form({ model: asrId }, "file", silence, "a.wav"),
  });
  assert.equal(asr.status, 200, await asr.clone().text());
  assert.equal(typeof (await asr.json()).text, "string");
  const dia = await fetch(`${server.base}/v1/audio/diarize`, {
    method: "POST",
    body: form({ model: diarizeId }, "file", silence, "a.wav"),
  });
  assert.equal(dia.status, 200, await dia.clone().text());
  const ocr = await fetch(`${server.base}/v1/cv`, { method: "POST", body: form({ model: "ocr" }, "image", png, "a.png") });
  assert.equal((await ocr.json()).text, "hearth runs models on your machine\nOCR from an npm package, no download");
  const speech = await server.client.audio.speech.create({
    model: ttsId,
    input: "Still here.",
    voice: "alba" as never,
    response_format: "wav",
  });
  assert.equal(
    Buffer.from(await speech.arrayBuffer())
      .subarray(0, 4)
      .toString("ascii"),
    "RIFF",
  );
});
