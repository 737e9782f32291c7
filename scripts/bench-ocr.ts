// OCR speed with the embedded PP-OCRv4 model: per-image latency (median, p95) one image at a time,
// and throughput with several images in flight, for each onnxruntime intra-op thread count.
//
//   npm run bench:ocr -- [--threads 1,2] [--concurrency 1,2,4] [--rounds 3] [--isolate] [--json]
//
// Images: examples/hello.png plus the rendered text set of the OCR tests (several fonts, sizes,
// a photo-like and an upside-down one), so the mix has one to two lines per image.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OCR } from "../src/sdk/OCR.ts";
import { physicalCores } from "../src/devices/cpuCores.ts";
import { textSamples } from "../test/cv/textImages.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const list = (v: string | undefined, d: number[]) =>
  v
    ? v
        .split(",")
        .map(Number)
        .filter((n) => n > 0)
    : d;

const threadsList = list(arg("threads"), [...new Set([1, physicalCores()])]);
const concurrencyList = list(arg("concurrency"), [1, 2, 4]);
const rounds = Number(arg("rounds") ?? 3);
const isolate = process.argv.includes("--isolate");
const json = process.argv.includes("--json");

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

interface Row {
  threads: number;
  concurrency: number;
  images: number;
  medianMs: number;
  p95Ms: number;
  imagesPerSec: number;
}

const images = [readFileSync(path.join(root, "examples/hello.png")), ...(await textSamples()).map((s) => s.image)];
const rows: Row[] = [];

for (const threads of threadsList) {
  const ocr = await OCR.load("ocr", { threads, device: "cpu", isolate });
  await ocr.read(images[0]); // warm-up: first runs allocate
  for (const concurrency of concurrencyList) {
    const latencies: number[] = [];
    const queue = Array.from({ length: rounds }, () => images).flat();
    const t0 = performance.now();
    const worker = async () => {
      for (let img = queue.shift(); img; img = queue.shift()) {
        const s = performance.now();
        await ocr.read(img);
        latencies.push(performance.now() - s);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wall = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const row: Row = {
      threads,
      concurrency,
      images: latencies.length,
      medianMs: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      imagesPerSec: latencies.length / wall,
    };
    rows.push(row);
    if (!json) {
      console.log(
        `threads ${threads}  in flight ${concurrency}  ${row.images} images  median ${row.medianMs.toFixed(0)} ms  p95 ${row.p95Ms.toFixed(0)} ms  ${row.imagesPerSec.toFixed(2)} images/s`,
      );
    }
  }
  await ocr.dispose();
}

if (json) console.log(JSON.stringify({ model: "ocr (PP-OCRv4, embedded)", isolate, rounds, rows }, null, 2));
else
  console.log(
    `(latency with more than one in flight includes queueing: onnxruntime-node runs a session on the JS thread, so one process serves one image at a time; use --isolate to run the engine in a runner process)`,
  );
