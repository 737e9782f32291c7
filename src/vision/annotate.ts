// Draws results onto the image (`--output annotated.png`): text boxes and detections as outlined
// polygons with their label, rendered as an SVG overlay composited by sharp.
import sharp from "sharp";
import type { DetectResult, OcrResult } from "../model/tasks/cv.ts";

export interface Shape {
  points: Array<[number, number]>;
  label?: string;
}

const COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#008080", "#9a6324", "#800000"];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function shapesOf(result: OcrResult | DetectResult): Shape[] {
  if ("lines" in result) return result.lines.map((l) => ({ points: l.box, label: l.text }));
  return result.detections.map((d) => ({
    points: [
      [d.box[0], d.box[1]],
      [d.box[2], d.box[1]],
      [d.box[2], d.box[3]],
      [d.box[0], d.box[3]],
    ],
    label: `${d.label} ${d.score.toFixed(2)}`,
  }));
}

/** PNG bytes of the (EXIF-upright) image with the shapes drawn on it. */
export async function annotate(image: Uint8Array, shapes: Shape[]): Promise<Buffer> {
  const base = await sharp(image).rotate().png().toBuffer({ resolveWithObject: true });
  const { width, height } = base.info;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const font = Math.max(11, Math.round(Math.min(width, height) / 40));
  const parts = shapes.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = s.points.map(([x, y]) => `${x},${y}`).join(" ");
    const [lx, ly] = s.points[0];
    const label = s.label
      ? `<text x="${lx}" y="${Math.max(font, ly - stroke - 2)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="${colour}" stroke="white" stroke-width="${Math.max(1, font / 8)}" paint-order="stroke">${escapeXml(s.label)}</text>`
      : "";
    return `<polygon points="${pts}" fill="${colour}" fill-opacity="0.12" stroke="${colour}" stroke-width="${stroke}"/>${label}`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join("")}</svg>`;
  return sharp(base.data)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
