// `hearth infer` with vision models through the real CLI: the README's first command, --json,
// --output with the boxes drawn, a detector, and the errors a user meets.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { repoRoot, runHearth } from "../helpers/cli.ts";
import { ensureYoloFixture } from "../../fixtures/yolo.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-cv-cli-"));
const env = { HEARTH_HOME: home };
after(() => rmSync(home, { recursive: true, force: true }));

test("hearth infer ocr examples/hello.png prints the text, one line per line", async () => {
  const r = await runHearth(["infer", "ocr", "examples/hello.png", "--threads", "2"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hearth runs models on your machine\nOCR from an npm package, no download\n");
  assert.match(r.stderr, /2 lines, 760x200, [\d.]+ s, onnx\/cpu/);
});

test("- reads the image from stdin", async () => {
  const r = await runHearth(["infer", "ocr", "-", "--threads", "2"], {
    env,
    input: readFileSync(path.join(repoRoot, "examples/hello.png")),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split("\n")[0], "hearth runs models on your machine");
});

test("--json gives the result; --output draws the boxes onto a PNG", async () => {
  const out = path.join(home, "annotated.png");
  const r = await runHearth(["infer", "ocr", "examples/hello.png", "--json", "--output", out, "--threads", "2"], { env });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.input, "examples/hello.png");
  assert.equal(j.lines.length, 2);
  assert.equal(j.lines[1].text, "OCR from an npm package, no download");
  assert.equal(j.lines[0].box.length, 4);
  assert.ok(j.profile.totalMs > 0);
  const meta = await sharp(out).metadata();
  assert.equal(meta.format, "png");
  assert.equal(meta.width, 760);
  assert.equal(meta.height, 200);
  // the first box's top-left corner carries the outline colour, not the white page
  const [x, y] = j.lines[0].box[0];
  const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const px = (xx: number, yy: number) => [...data.subarray((yy * info.width + xx) * 3, (yy * info.width + xx) * 3 + 3)];
  const corner = px(x, y);
  assert.ok(corner[0] > 150 && corner[1] < 120, `outline pixel ${corner}`);
});

test("a YOLO detector prints a table of labelled boxes", async () => {
  const img = path.join(home, "shapes.png");
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="#9ab"/>' +
    '<circle cx="120" cy="150" r="70" fill="#c22"/><rect x="250" y="40" width="100" height="220" fill="#22c"/></svg>';
  await sharp(Buffer.from(svg)).png().toFile(img);
  const r = await runHearth(["infer", ensureYoloFixture(), img, "--threads", "1"], { env });
  assert.equal(r.code, 0, r.stderr);
  const [header, ...rows] = r.stdout.trim().split("\n");
  assert.match(header, /^label\s+score\s+x1\s+y1\s+x2\s+y2$/);
  assert.ok(rows.length > 0);
  for (const row of rows) assert.match(row, /^(cat|dog|bird)\s+0\.\d{3}(\s+\d+){4}$/);
  assert.match(r.stderr, /\d+ detections?, 400x300/);
});

test("--score-threshold and --iou-threshold filter a detector's boxes; out-of-range values are refused", async () => {
  const img = path.join(home, "red.png");
  await sharp({ create: { width: 200, height: 150, channels: 3, background: "#c22" } })
    .png()
    .toFile(img);
  const detect = async (...flags: string[]) => {
    const r = await runHearth(["infer", ensureYoloFixture(), img, "--threads", "1", "--json", ...flags], { env });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { detections: { score: number }[] }).detections;
  };
  const all = await detect("--score-threshold", "0.01", "--iou-threshold", "1");
  const high = await detect("--score-threshold", "0.8", "--iou-threshold", "1");
  const merged = await detect("--score-threshold", "0.01", "--iou-threshold", "0.05");
  assert.ok(high.every((d) => d.score >= 0.8));
  assert.ok(
    all.some((d) => d.score < 0.8),
    "the low threshold keeps weaker boxes",
  );
  assert.ok(high.length < all.length, `${high.length} vs ${all.length}`);
  assert.ok(merged.length < all.length, `suppression at IoU 0.05 keeps fewer boxes: ${merged.length} vs ${all.length}`);
  const bad = await runHearth(["infer", ensureYoloFixture(), img, "--score-threshold", "2"], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--score-threshold must be a number from 0 to 1/);
  const badIou = await runHearth(["infer", ensureYoloFixture(), img, "--iou-threshold", "x"], { env });
  assert.equal(badIou.code, 2);
  assert.match(badIou.stderr, /--iou-threshold must be a number/);
});

test("errors are one line and a non-zero exit", async () => {
  const notImage = path.join(home, "notes.png");
  writeFileSync(notImage, "not a picture at all\n");
  const bad = await runHearth(["infer", "ocr", notImage], { env });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /cannot read the image/);
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);

  const missing = await runHearth(["infer", "ocr", "nowhere.png"], { env });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no such file/);

  const none = await runHearth(["infer", "ocr"], { env });
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no image given/);
  assert.ok(!existsSync(path.join(home, "annotated-none.png")));
});
