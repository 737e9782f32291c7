// What `hearth infer` does with a vision model: `hearth infer ocr photo.png` prints the text it
// reads; a detector prints labelled boxes; `--json` gives the whole result and `--output` writes
// the image with the boxes drawn.
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import pc from "picocolors";
import type { ModelFiles } from "../../model/types.ts";
import type { DetectResult, OcrResult } from "../../model/tasks/cv.ts";
import { annotate, shapesOf } from "../../vision/annotate.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { cvFiles, cvTaskOf, imageBytes } from "../../sdk/cvModel.ts";
import { Detector } from "../../sdk/Detector.ts";
import { OCR } from "../../sdk/OCR.ts";
import type { DeviceKind } from "../../model/types.ts";

export interface CvInferOptions {
  /** image paths */
  inputs: string[];
  json?: boolean;
  /** annotated PNG; a folder when there are several inputs */
  output?: string;
  threads?: number;
  device?: DeviceKind | "auto";
  backend?: string;
  /** detection: lowest score kept */
  scoreThreshold?: number;
  /** detection: overlap above which the weaker of two same-class boxes is dropped */
  iouThreshold?: number;
  /** where lines go (tests pass their own) */
  out?: (line: string) => void;
  /** where the timing line goes (default stderr) */
  note?: (line: string) => void;
}

type CvResult = (OcrResult | DetectResult) & { input: string };

async function readStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY)
    throw new HearthError("bad_input", "- means an image on stdin, but stdin is a terminal", {
      hint: "pipe an image in: cat photo.png | hearth infer ocr -",
    });
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

function outputPath(output: string, input: string, several: boolean): string {
  let isDir = several || output.endsWith(path.sep) || output.endsWith("/");
  try {
    if (statSync(output).isDirectory()) isDir = true;
  } catch {
    // a new file
  }
  if (!isDir) {
    mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
    return output;
  }
  mkdirSync(output, { recursive: true });
  return path.join(output, `${path.parse(input).name}.annotated.png`);
}

/** `hearth infer <cv-model> IMAGE... [--json] [--output annotated.png]` */
export async function runCvInfer(model: string | ModelFiles, options: CvInferOptions): Promise<void> {
  const out = options.out ?? ((l: string) => process.stdout.write(l + "\n"));
  const note = options.note ?? ((l: string) => process.stderr.write(l + "\n"));
  if (!options.inputs.length) {
    throw new HearthError("bad_input", "no image given", { hint: "e.g. hearth infer ocr photo.png (or -i photo.png)" });
  }
  // read every image first: a typo fails before the model loads; "-" is stdin
  const images = await Promise.all(
    options.inputs.map(async (p) => ({ path: p, bytes: p === "-" ? await readStdin() : await imageBytes(p) })),
  );
  const files = await cvFiles(model);
  const load = { threads: options.threads, device: options.device, backend: options.backend };
  const engine = cvTaskOf(files) === "ocr" ? await OCR.load(files, load) : await Detector.load(files, load);
  const results: CvResult[] = [];
  try {
    for (const img of images) {
      const r: OcrResult | DetectResult =
        engine instanceof OCR
          ? await engine.read(img.bytes)
          : await engine.detect(img.bytes, { scoreThreshold: options.scoreThreshold, iouThreshold: options.iouThreshold });
      results.push({ input: img.path, ...r });
      if (options.output) {
        const file = outputPath(options.output, img.path === "-" ? "stdin.png" : img.path, images.length > 1);
        writeFileSync(file, await annotate(img.bytes, shapesOf(r)));
        note(pc.dim(`annotated image: ${file}`));
      }
      if (options.json) continue;
      if (images.length > 1) out(pc.bold(`${img.path}:`));
      if ("lines" in r) {
        for (const l of r.lines) out(l.text);
        note(
          pc.dim(
            `${r.lines.length} line${r.lines.length === 1 ? "" : "s"}, ${r.width}x${r.height}, ${(r.profile.totalMs / 1000).toFixed(2)} s, ${r.profile.device}`,
          ),
        );
      } else {
        if (r.detections.length) {
          const rows = [
            ["label", "score", "x1", "y1", "x2", "y2"],
            ...r.detections.map((d) => [d.label, d.score.toFixed(3), ...d.box.map((v) => v.toFixed(0))]),
          ];
          const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
          for (const row of rows) out(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
        }
        note(
          pc.dim(
            `${r.detections.length} detection${r.detections.length === 1 ? "" : "s"}, ${r.width}x${r.height}, ${(r.profile.totalMs / 1000).toFixed(2)} s, ${r.profile.device}`,
          ),
        );
      }
    }
  } finally {
    await engine.dispose();
  }
  if (options.json) out(JSON.stringify(results.length === 1 ? results[0] : results, null, 2));
}
