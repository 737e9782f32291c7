// Differentiable-binarisation (DB) text detection post-processing, as PaddleOCR does it: threshold
// the probability map, take each connected region, fit its minimum-area rectangle, score it by the
// mean probability inside, grow it by the DB "unclip" distance, and map it to source pixels.
import type { Quad } from "../model/tasks/cv.ts";
import { minAreaRect, rectCorners, type Point } from "./geometry.ts";

export interface DbOptions {
  /** pixel probability for text (default 0.3) */
  threshold?: number;
  /** mean probability a region needs to be kept (default 0.6) */
  boxThreshold?: number;
  /** growth of the shrunk text kernel back to the text's extent (default 1.5) */
  unclipRatio?: number;
  /** shorter side below which a region is noise, in map pixels (default 3) */
  minSize?: number;
  maxCandidates?: number;
}

export interface DbBox {
  box: Quad;
  score: number;
}

/**
 * Boxes from a probability map of mapW x mapH, in source coordinates (the map covers the whole
 * source image of srcW x srcH).
 */
export function dbBoxes(prob: Float32Array, mapW: number, mapH: number, srcW: number, srcH: number, o: DbOptions = {}): DbBox[] {
  const threshold = o.threshold ?? 0.3;
  const boxThreshold = o.boxThreshold ?? 0.6;
  const unclipRatio = o.unclipRatio ?? 1.5;
  const minSize = o.minSize ?? 3;
  const maxCandidates = o.maxCandidates ?? 1000;
  const labels = new Int32Array(mapW * mapH);
  const stack: number[] = [];
  const out: DbBox[] = [];
  let next = 0;
  for (let start = 0; start < labels.length && next < maxCandidates; start++) {
    if (labels[start] || prob[start] <= threshold) continue;
    const id = ++next;
    // flood fill (8-connected), collecting the region's boundary pixels for the hull
    const points: Point[] = [];
    labels[start] = id;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % mapW;
      const y = (i - x) / mapW;
      let boundary = false;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (!dx && !dy) continue;
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= mapW || ny >= mapH) {
            boundary = true;
            continue;
          }
          const j = ny * mapW + nx;
          if (prob[j] <= threshold) {
            boundary = true;
            continue;
          }
          if (!labels[j]) {
            labels[j] = id;
            stack.push(j);
          }
        }
      }
      // pixel corners, so a one-pixel-high line still has an area (OpenCV contours likewise span pixels)
      if (boundary) points.push([x, y], [x + 1, y], [x, y + 1], [x + 1, y + 1]);
    }
    const rect = minAreaRect(points);
    if (Math.min(rect.width, rect.height) < minSize) continue;
    const score = meanInside(prob, mapW, mapH, rectCorners(rect));
    if (score < boxThreshold) continue;
    // unclip: offset the rectangle outward by area * ratio / perimeter
    const distance = (rect.width * rect.height * unclipRatio) / (2 * (rect.width + rect.height));
    const grown = { ...rect, width: rect.width + 2 * distance, height: rect.height + 2 * distance };
    if (Math.min(grown.width, grown.height) < minSize + 2) continue;
    const sx = srcW / mapW;
    const sy = srcH / mapH;
    const box = rectCorners(grown).map(([x, y]) => [
      Math.round(Math.min(Math.max(x * sx, 0), srcW)),
      Math.round(Math.min(Math.max(y * sy, 0), srcH)),
    ]) as Quad;
    out.push({ box, score });
  }
  return out;
}

/** Mean probability over the pixels whose centres fall inside the quad. */
function meanInside(prob: Float32Array, w: number, h: number, q: Quad): number {
  const xs = q.map((p) => p[0]);
  const ys = q.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const x1 = Math.min(w - 1, Math.ceil(Math.max(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const y1 = Math.min(h - 1, Math.ceil(Math.max(...ys)));
  let sum = 0;
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (insideQuad(q, x + 0.5, y + 0.5)) {
        sum += prob[y * w + x];
        n++;
      }
    }
  }
  return n ? sum / n : 0;
}

function insideQuad(q: Quad, px: number, py: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const [ax, ay] = q[i];
    const [bx, by] = q[(i + 1) % 4];
    const c = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
    if (c === 0) continue;
    const s = c > 0 ? 1 : -1;
    if (sign && s !== sign) return false;
    sign = s;
  }
  return true;
}
