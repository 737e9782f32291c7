// POST /v1/cv over real HTTP: OCR with the embedded model (JSON data URI and multipart), detection
// with the YOLO-shaped fixture, one snake_case shape, and OpenAI-shaped errors with the right status.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { ensureYoloFixture } from "../../fixtures/yolo.ts";
import { repoRoot } from "../helpers/cli.ts";
import { postJson, startServer, useTempHome, type TestServer } from "../server/helpers.ts";
import { hugePngHeader, notAnImage } from "./badImages.ts";

const home = useTempHome();
const hello = readFileSync(path.join(repoRoot, "examples/hello.png"));
const helloUri = `data:image/png;base64,${hello.toString("base64")}`;
const yolo = ensureYoloFixture();
const yoloId = path.basename(yolo).replace(/\.onnx$/, "");
let server: TestServer;

before(async () => {
  server = await startServer({ models: ["ocr", yolo] });
});

after(async () => {
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

test("OCR from a JSON data: URI", async () => {
  const r = await postJson(server.base, "/v1/cv", { model: "ocr", image: helloUri });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.object, "cv.result");
  assert.equal(r.json.model, "ocr");
  assert.equal(r.json.task, "ocr");
  assert.equal(r.json.width, 760);
  assert.equal(r.json.text, "hearth runs models on your machine\nOCR from an npm package, no download");
  assert.equal(r.json.lines.length, 2);
  assert.equal(r.json.lines[0].box.length, 4);
  assert.ok(r.json.lines[0].confidence > 0.8);
  assert.ok(r.json.profile.total_ms > 0);
  assert.match(r.json.profile.device, /^onnx\//);
  assert.equal(r.json.detections, undefined);
});

test("OCR from a multipart upload", async () => {
  const form = new FormData();
  form.append("model", "ocr");
  form.append("image", new Blob([new Uint8Array(hello)], { type: "image/png" }), "hello.png");
  const res = await fetch(`${server.base}/v1/cv`, { method: "POST", body: form });
  const j = await res.json();
  assert.equal(res.status, 200, JSON.stringify(j));
  assert.equal(j.lines[1].text, "OCR from an npm package, no download");
});

test("detection with a YOLO model: labelled boxes in snake_case", async () => {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><rect width="640" height="400" fill="#9ab"/>' +
    '<circle cx="200" cy="200" r="100" fill="#c22"/><rect x="400" y="50" width="150" height="300" fill="#22c"/></svg>';
  const img = await sharp(Buffer.from(svg)).png().toBuffer();
  const r = await postJson(server.base, "/v1/cv", {
    model: yoloId,
    image: `data:image/png;base64,${img.toString("base64")}`,
    score_threshold: 0.3,
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.task, "detect");
  assert.ok(Array.isArray(r.json.detections) && r.json.detections.length > 0);
  for (const d of r.json.detections) {
    assert.deepEqual(Object.keys(d).sort(), ["box", "class_id", "label", "score"]);
    assert.ok(["cat", "dog", "bird"].includes(d.label) && d.score >= 0.3 && d.box.length === 4);
  }
});

test("the OCR model is listed in /v1/models", async () => {
  const res = await fetch(`${server.base}/v1/models`);
  const j = await res.json();
  assert.ok(
    j.data.some((m: { id: string }) => m.id === "ocr"),
    JSON.stringify(j.data.map((m: { id: string }) => m.id)),
  );
});

test("errors: status and OpenAI-shaped body", async () => {
  const cases: Array<[unknown, number, string, RegExp?]> = [
    [{ model: "ocr", image: `data:image/png;base64,${notAnImage.toString("base64")}` }, 400, "unsupported_media", /cannot read the image/],
    [{ model: "ocr", image: `data:image/png;base64,${hugePngHeader().toString("base64")}` }, 400, "unsupported_media", /megapixels/],
    [{ model: "ocr" }, 400, "bad_input", /no `image`/],
    [{ model: "ocr", image: "/etc/hostname" }, 400, "bad_input", /data: URI/],
    [{ image: helloUri }, 400, "bad_input", /model/],
    [{ model: "ocr", image: helloUri, task: "segment" }, 400, "bad_input", /task must be one of: ocr, detect/],
    [{ model: yoloId, image: helloUri, score_threshold: 2 }, 400, "bad_input", /score_threshold/],
    [{ model: "ocr", image: helloUri, task: "detect" }, 400, "unsupported_task"],
    [{ model: "nobody/no-such-model", image: helloUri }, 404, "model_not_found"],
  ];
  for (const [body, status, code, re] of cases) {
    const r = await postJson(server.base, "/v1/cv", body);
    assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)} -> ${r.text}`);
    assert.equal(r.json.error.code, code, r.text);
    if (re) assert.match(r.json.error.message, re);
  }
  const notJson = await postJson(server.base, "/v1/cv", "{not json");
  assert.equal(notJson.status, 400);
});
