// OCR end to end with the embedded PaddleOCR PP-OCRv4 model: text rendered in several fonts and
// sizes, a photo-like one, an upside-down one and a tilted one must read back with at least 95%
// character accuracy over the set (printed); boxes, order and bad input.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { OCR } from "../../src/sdk/OCR.ts";
import { repoRoot } from "../helpers/cli.ts";
import { editDistance, textSamples } from "./textImages.ts";
import { hugePngHeader, notAnImage, truncatedPng } from "./badImages.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-ocr-"));
process.env.HEARTH_HOME = home;
let ocr: OCR;

before(async () => {
  ocr = await OCR.load("ocr", { threads: 2, device: "cpu" });
});

after(async () => {
  await ocr?.dispose();
  rmSync(home, { recursive: true, force: true });
});

test("the embedded model loads with no download, on the ONNX engine", () => {
  assert.equal(ocr.info.backend, "onnx");
  assert.deepEqual(ocr.info.tasks, ["ocr"]);
  assert.equal(ocr.info.settings.angleClassifier, true);
});

test("reads rendered text back with at least 95% character accuracy", async () => {
  let errors = 0;
  let chars = 0;
  const report: string[] = [];
  for (const s of await textSamples()) {
    const r = await ocr.read(s.image);
    const want = s.lines.join("\n");
    const got = OCR.text(r);
    const d = editDistance(want, got);
    errors += d;
    chars += want.length;
    report.push(`  ${(100 * (1 - d / want.length)).toFixed(1).padStart(5)}%  ${s.name}: ${JSON.stringify(got)}`);
  }
  const accuracy = 1 - errors / chars;
  console.log(`OCR character accuracy ${(accuracy * 100).toFixed(2)}% (${errors} edits over ${chars} characters)\n${report.join("\n")}`);
  assert.ok(accuracy >= 0.95, `accuracy ${(accuracy * 100).toFixed(2)}%`);
});

test("the README image: two lines in reading order, boxes inside the image, confident", async () => {
  const r = await ocr.read(path.join(repoRoot, "examples/hello.png"));
  assert.equal(r.width, 760);
  assert.equal(r.height, 200);
  assert.deepEqual(
    r.lines.map((l) => l.text),
    ["hearth runs models on your machine", "OCR from an npm package, no download"],
  );
  for (const l of r.lines) {
    assert.ok(l.confidence > 0.8 && l.confidence <= 1);
    for (const [x, y] of l.box) assert.ok(x >= 0 && x <= 760 && y >= 0 && y <= 200);
    // clockwise from top-left
    assert.ok(l.box[0][0] < l.box[1][0] && l.box[1][1] < l.box[2][1]);
  }
  assert.ok(r.lines[0].box[2][1] <= r.lines[1].box[0][1] + 5, "first line above the second");
  assert.ok(r.profile.totalMs > 0 && r.profile.device === "onnx/cpu");
});

test("images come as paths, bytes or data: URIs; an empty image has no lines", async () => {
  const bytes = readFileSync(path.join(repoRoot, "examples/hello.png"));
  const uri = `data:image/png;base64,${bytes.toString("base64")}`;
  assert.equal(OCR.text(await ocr.read(uri)), OCR.text(await ocr.read(new Uint8Array(bytes))));
  const blank = await (await import("sharp"))
    .default({ create: { width: 300, height: 120, channels: 3, background: "#fff" } })
    .png()
    .toBuffer();
  assert.deepEqual((await ocr.read(blank)).lines, []);
});

test("text touching the image's edges (a one-line banner) is read whole", async () => {
  const text = "A very long single line of text that goes across the page";
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="60"><rect width="100%" height="100%" fill="#fff"/><text x="1" y="54" font-family="DejaVu Sans" font-size="40">${text}</text></svg>`;
  const r = await ocr.read(await (await import("sharp")).default(Buffer.from(svg)).png().toBuffer());
  assert.deepEqual(
    r.lines.map((l) => l.text),
    [text],
  );
  for (const [x, y] of r.lines[0].box) assert.ok(x >= 0 && x <= 1200 && y >= 0 && y <= 60);
});

test("bad input gives a clear error", async () => {
  const code = (c: string, re?: RegExp) => (e: Error & { code?: string }) => e.code === c && (!re || re.test(e.message));
  await assert.rejects(ocr.read(notAnImage), code("unsupported_media", /cannot read the image/));
  await assert.rejects(ocr.read(hugePngHeader()), code("unsupported_media", /20000x20000 \(400 megapixels\), more than the limit/));
  await assert.rejects(ocr.read(await truncatedPng()), code("unsupported_media"));
  await assert.rejects(ocr.read("/definitely/missing.png"), code("bad_input", /no such file/));
  await assert.rejects(ocr.read("https://example.com/a.png"), code("bad_input", /remote/));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(ocr.read(path.join(repoRoot, "examples/hello.png"), { signal: ac.signal }), code("aborted"));
});
