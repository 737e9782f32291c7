// Object detection through the SDK on the random-weight YOLO-shaped fixture: the v8/v11 output
// layout, letterbox mapping to source pixels, NMS, labels from metadata, bad input.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { ensureYoloFixture, ensureYoloExternalDataFixture, YOLO_FIXTURE, CONSTANT_OUTPUT } from "../../../fixtures/yolo.ts";
import { Detector } from "../../../src/sdk/Detector.ts";
import { iou } from "../../../src/vision/nms.ts";
import { readOnnxMetadata } from "../../../src/formats/onnxMetadata.ts";
import { hugePngHeader, notAnImage, truncatedPng } from "../../cv/badImages.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-detect-"));
process.env.HEARTH_HOME = home;
let detector: Detector;
let image: Buffer;

before(async () => {
  detector = await Detector.load(ensureYoloFixture(), { threads: 1, device: "cpu" });
  // not square, so the letterbox pads top and bottom
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><rect width="640" height="400" fill="#9ab"/>' +
    '<circle cx="200" cy="200" r="100" fill="#c22"/><rect x="400" y="50" width="150" height="300" fill="#22c"/></svg>';
  image = await sharp(Buffer.from(svg)).png().toBuffer();
});

after(async () => {
  await detector?.dispose();
  rmSync(home, { recursive: true, force: true });
});

test("the fixture carries Ultralytics-style metadata", () => {
  const m = readOnnxMetadata(ensureYoloFixture());
  assert.equal(m.task, "detect");
  assert.equal(m.names, "{0: 'cat', 1: 'dog', 2: 'bird'}");
  assert.equal(detector.info.backend, "onnx");
  assert.deepEqual(detector.info.tasks, ["detect"]);
  assert.equal(detector.info.settings.classes, 3);
  assert.equal(detector.info.settings.inputSize, "320x320");
});

test("detections are labelled, inside the image, sorted, thresholded and suppressed", async () => {
  const r = await detector.detect(image);
  assert.equal(r.width, 640);
  assert.equal(r.height, 400);
  assert.ok(r.detections.length > 0, "the random weights score some anchors above 0.25");
  let last = Infinity;
  for (const d of r.detections) {
    assert.ok((YOLO_FIXTURE.names as readonly string[]).includes(d.label), d.label);
    assert.equal(d.label, YOLO_FIXTURE.names[d.classId]);
    assert.ok(d.score >= 0.25 && d.score <= 1 && d.score <= last);
    last = d.score;
    const [x1, y1, x2, y2] = d.box;
    assert.ok(x1 >= 0 && y1 >= 0 && x2 <= 640 && y2 <= 400 && x2 > x1 && y2 > y1, `box ${d.box}`);
  }
  for (const a of r.detections)
    for (const b of r.detections) {
      if (a !== b && a.classId === b.classId) assert.ok(iou(a.box, b.box) <= 0.45 + 1e-6, "NMS left overlapping boxes");
    }
  assert.equal(r.profile.device, "onnx/cpu");
});

test("thresholds change what is kept; the same image gives the same answer", async () => {
  const base = await detector.detect(image);
  const all = await detector.detect(image, { iouThreshold: 1 });
  const strict = await detector.detect(image, { scoreThreshold: 0.9 });
  assert.ok(all.detections.length > base.detections.length, `${all.detections.length} vs ${base.detections.length}`);
  assert.ok(strict.detections.length < base.detections.length);
  assert.ok(strict.detections.every((d) => d.score >= 0.9));
  assert.deepEqual((await detector.detect(image)).detections, base.detections);
});

test("letterbox mapping and NMS on a known answer: 100 identical anchors give one box in source pixels", async () => {
  const d = await Detector.load(ensureYoloFixture("constant"), { threads: 1, device: "cpu" });
  try {
    const r = await d.detect(image); // 640 x 400: scale 0.5, 60 px of padding above and below in the 320 input
    assert.equal(r.detections.length, 1);
    const [det] = r.detections;
    assert.equal(det.label, "dog");
    assert.ok(Math.abs(det.score - CONSTANT_OUTPUT.scores[1]) < 1e-4);
    // input box: centre (160, 160), 80 x 40 -> [120, 140, 200, 180]; source: x / 0.5, (y - 60) / 0.5
    const want = [240, 160, 400, 240];
    det.box.forEach((v, i) => {
      assert.ok(Math.abs(v - want[i]) < 0.5, `box ${det.box} vs ${want}`);
    });
    // a score threshold above every class score leaves nothing
    assert.equal((await d.detect(image, { scoreThreshold: 0.85 })).detections.length, 0);
  } finally {
    await d.dispose();
  }
});

test("a model with its weights in an external data file loads and detects the same", async () => {
  const d = await Detector.load(ensureYoloExternalDataFixture(), { threads: 1, device: "cpu" });
  try {
    assert.deepEqual((await d.detect(image)).detections, (await detector.detect(image)).detections);
  } finally {
    await d.dispose();
  }
});

test("bad images fail with a clear error", async () => {
  await assert.rejects(
    detector.detect(notAnImage),
    (e: Error & { code?: string }) => e.code === "unsupported_media" && /cannot read the image/.test(e.message),
  );
  await assert.rejects(
    detector.detect(hugePngHeader()),
    (e: Error & { code?: string }) => e.code === "unsupported_media" && /20000x20000/.test(e.message),
  );
  await assert.rejects(detector.detect(await truncatedPng()), (e: Error & { code?: string }) => e.code === "unsupported_media");
  await assert.rejects(detector.detect(new Uint8Array(0)), (e: Error & { code?: string }) => e.code === "unsupported_media");
  await assert.rejects(detector.detect("/no/such/image.png"), (e: Error & { code?: string }) => e.code === "bad_input");
});

test("a file that is not an ONNX model is refused at load", async () => {
  const bad = path.join(home, "broken.onnx");
  (await import("node:fs")).writeFileSync(bad, "not a model");
  await assert.rejects(
    Detector.load(bad, { threads: 1, device: "cpu" }),
    (e: Error & { code?: string }) => e.code !== undefined && /onnx|model/i.test(e.message),
  );
});
