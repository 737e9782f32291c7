// Pre/post-processing pieces of the ONNX CV pipelines, on hand-made inputs with known answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { iou, nms, type Scored } from "../../../src/vision/nms.ts";
import { minAreaRect, rectCorners, orderCorners, readingOrder, convexHull } from "../../../src/vision/geometry.ts";
import { ctcGreedy, parseDictionary } from "../../../src/vision/ctc.ts";
import { dbBoxes } from "../../../src/vision/dbPostprocess.ts";
import { latinPunctuation, restoreSpaces } from "../../../src/vision/wordGaps.ts";
import { parseLabels } from "../../../src/formats/onnxMetadata.ts";
import { readFields, fieldString, fieldVarint, fieldMessage, concat } from "../../../src/formats/protobuf.ts";
import { providerOrder, deviceOfProvider } from "../../../src/backends/onnx/providers.ts";
import type { Quad } from "../../../src/model/tasks/cv.ts";

test("iou of identical, disjoint and half-overlapping boxes", () => {
  assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.equal(iou([0, 0, 10, 10], [20, 20, 30, 30]), 0);
  assert.ok(Math.abs(iou([0, 0, 10, 10], [5, 0, 15, 10]) - 50 / 150) < 1e-9);
});

test("nms keeps the best of overlapping same-class boxes, and overlapping boxes of other classes", () => {
  const boxes: Scored[] = [
    { box: [0, 0, 100, 100], score: 0.9, classId: 0 },
    { box: [5, 5, 105, 105], score: 0.8, classId: 0 }, // IoU ~0.82 with the first: suppressed
    { box: [5, 5, 105, 105], score: 0.7, classId: 1 }, // other class: kept
    { box: [60, 0, 160, 100], score: 0.6, classId: 0 }, // IoU 0.25: kept
    { box: [300, 300, 310, 310], score: 0.95, classId: 0 },
  ];
  const kept = nms(boxes, { iouThreshold: 0.45 });
  assert.deepEqual(
    kept.map((k) => k.score),
    [0.95, 0.9, 0.7, 0.6],
  );
  assert.deepEqual(
    nms(boxes, { iouThreshold: 0.45, classAgnostic: true }).map((k) => k.score),
    [0.95, 0.9, 0.6],
  );
  assert.deepEqual(
    nms(boxes, { iouThreshold: 0.2 }).map((k) => k.score),
    [0.95, 0.9, 0.7],
  );
  assert.equal(nms(boxes, { maxDetections: 2 }).length, 2);
  assert.deepEqual(nms([]), []);
});

test("minAreaRect finds a rotated rectangle from its points", () => {
  // a 40 x 10 rectangle turned 30 degrees about (100, 50)
  const a = Math.PI / 6;
  const pts: Array<[number, number]> = [];
  for (let u = -20; u <= 20; u += 2)
    for (let v = -5; v <= 5; v += 1) {
      pts.push([100 + u * Math.cos(a) - v * Math.sin(a), 50 + u * Math.sin(a) + v * Math.cos(a)]);
    }
  const r = minAreaRect(pts);
  const [long, short] = [Math.max(r.width, r.height), Math.min(r.width, r.height)];
  assert.ok(Math.abs(long - 40) < 1e-6 && Math.abs(short - 10) < 1e-6, `${r.width} x ${r.height}`);
  assert.ok(Math.abs(r.center[0] - 100) < 1e-6 && Math.abs(r.center[1] - 50) < 1e-6);
  const q = rectCorners(r);
  // top-left has the smallest x of the left pair and is above bottom-left
  assert.ok(q[0][1] < q[3][1] && q[1][1] < q[2][1]);
  assert.equal(
    convexHull([
      [0, 0],
      [1, 1],
      [2, 2],
      [0, 2],
      [2, 0],
    ]).length,
    4,
  );
});

test("corners are ordered top-left, top-right, bottom-right, bottom-left", () => {
  assert.deepEqual(
    orderCorners([
      [10, 20],
      [0, 0],
      [10, 0],
      [0, 20],
    ]),
    [
      [0, 0],
      [10, 0],
      [10, 20],
      [0, 20],
    ],
  );
});

test("reading order: rows top to bottom, left to right within a row", () => {
  const box = (x: number, y: number): Quad => [
    [x, y],
    [x + 50, y],
    [x + 50, y + 20],
    [x, y + 20],
  ];
  const items = [
    { t: "second-right", box: box(200, 103) },
    { t: "first", box: box(0, 10) },
    { t: "second-left", box: box(0, 100) },
    { t: "third", box: box(0, 200) },
  ];
  assert.deepEqual(
    readingOrder(items).map((i) => i.t),
    ["first", "second-left", "second-right", "third"],
  );
});

test("CTC greedy decoding merges repeats and drops blanks", () => {
  const alphabet = ["a", "b", " "];
  // steps: a a _ a b b _ " " b  -> "aab b"
  const seq = [1, 1, 0, 1, 2, 2, 0, 3, 2];
  const classes = 4;
  const probs = new Float32Array(seq.length * classes);
  seq.forEach((c, t) => {
    probs.fill(0.05, t * classes, (t + 1) * classes);
    probs[t * classes + c] = 0.85;
  });
  const r = ctcGreedy(probs, seq.length, classes, alphabet);
  assert.equal(r.text, "aab b");
  assert.deepEqual(r.steps, [0, 3, 4, 7, 8]);
  assert.ok(Math.abs(r.confidence - 0.85) < 1e-6);
  assert.deepEqual(parseDictionary("x\ny\n"), ["x", "y", " "]);
});

test("full-width punctuation becomes ASCII in Latin lines only", () => {
  assert.equal(latinPunctuation("port 18181，threads 2（max）"), "port 18181,threads 2(max)");
  assert.equal(latinPunctuation("你好，世界"), "你好，世界");
});

test("DB post-processing finds each text region and maps it to source pixels", () => {
  const w = 64,
    h = 32;
  const prob = new Float32Array(w * h);
  const fill = (x0: number, y0: number, x1: number, y1: number, p: number) => {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * w + x] = p;
  };
  fill(4, 4, 40, 10, 0.9); // a line
  fill(10, 20, 30, 26, 0.9); // another
  fill(50, 20, 60, 26, 0.4); // above the pixel threshold, below the box threshold: dropped
  fill(55, 2, 56, 3, 0.95); // one pixel: too small
  const boxes = dbBoxes(prob, w, h, w * 2, h * 2); // source twice the map size
  assert.equal(boxes.length, 2);
  const [a] = boxes;
  const xs = a.box.map((p) => p[0]);
  const ys = a.box.map((p) => p[1]);
  // unclip grows the region beyond the kernel; in source coordinates (x2)
  assert.ok(Math.min(...xs) < 8 && Math.max(...xs) > 80, `x ${xs}`);
  assert.ok(Math.min(...ys) < 8 && Math.max(...ys) > 20 && Math.max(...ys) < 40, `y ${ys}`);
  assert.ok(a.score > 0.85);
});

test("labels from Ultralytics' Python-dict metadata, JSON objects and arrays", () => {
  const py = parseLabels("{0: 'person', 1: 'traffic light', 2: \"it's\"}");
  assert.deepEqual(
    [...py.entries()],
    [
      [0, "person"],
      [1, "traffic light"],
      [2, "it's"],
    ],
  );
  assert.deepEqual([...parseLabels('{"0": "cat", "1": "dog"}').values()], ["cat", "dog"]);
  assert.deepEqual(
    [...parseLabels('["a", "b"]').entries()],
    [
      [0, "a"],
      [1, "b"],
    ],
  );
  assert.equal(parseLabels(undefined).size, 0);
});

test("protobuf fields round-trip", () => {
  const msg = concat([fieldVarint(1, 300), fieldString(2, "héllo"), fieldMessage(3, [fieldVarint(1, -1)])]);
  const fields = [...readFields(msg)];
  assert.equal(fields[0].value, 300n);
  assert.equal(Buffer.from(fields[1].bytes!).toString(), "héllo");
  const inner = [...readFields(fields[2].bytes!)];
  assert.equal(inner[0].value, (1n << 64n) - 1n);
  assert.throws(() => [...readFields(Uint8Array.from([0x12, 0x05, 0x61]))], /truncated/);
});

test("provider order: npu, then gpu, then cpu; an explicit list wins", () => {
  const npu = providerOrder("npu");
  assert.deepEqual(npu.slice(0, 4), ["qnn", "coreml", "openvino", "vitisai"]);
  assert.ok(npu.indexOf("cuda") > npu.indexOf("vitisai") && npu.at(-1) === "cpu");
  assert.deepEqual(providerOrder("gpu").at(-1), "cpu");
  assert.deepEqual(providerOrder("cpu"), ["cpu"]);
  assert.deepEqual(providerOrder("cpu", ["CUDA", "cpu"]), ["cuda", "cpu"]);
  assert.equal(deviceOfProvider("coreml"), "npu");
  assert.equal(deviceOfProvider("dml"), "gpu");
});

test("a wide ink-free gap between two letters becomes a space, a letter gap does not, CJK never", () => {
  // a 48-high strip with glyph blocks at columns 8-15, 20-27, 32-39 (letter gaps of 4) and 60-67 (a word gap of 20)
  const w = 80,
    h = 48;
  const data = new Uint8Array(w * h * 3).fill(255);
  for (const x0 of [8, 20, 32, 60])
    for (let y = 10; y < 40; y++) for (let x = x0; x < x0 + 8; x++) data.fill(0, (y * w + x) * 3, (y * w + x) * 3 + 3);
  const strip = { data, width: w, height: h };
  // one step per 4 px; each character emitted at its block's centre
  const steps = [3, 6, 9, 15];
  assert.equal(restoreSpaces("abcd", steps, strip, 4), "abc d");
  assert.equal(restoreSpaces("ab c", [3, 6, 8, 9], strip, 4), "ab c", "an existing space is kept, not doubled");
  assert.equal(restoreSpaces("中文汉字", steps, strip, 4), "中文汉字");
  const blank = { data: new Uint8Array(w * h * 3).fill(255), width: w, height: h };
  assert.equal(restoreSpaces("abcd", steps, blank, 4), "abcd", "no contrast: unchanged");
});
