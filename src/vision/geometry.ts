// Plane geometry for text boxes: convex hull, minimum-area rectangle (rotating calipers), corner
// ordering, reading order.
import type { Quad } from "../model/tasks/cv.ts";

export type Point = [number, number];

/** Convex hull (Andrew's monotone chain), counter-clockwise in y-down coordinates. */
export function convexHull(points: Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

export interface RotatedRect {
  center: Point;
  /** along `angle` */
  width: number;
  height: number;
  /** radians of the width axis */
  angle: number;
}

/** The smallest-area rectangle enclosing the points: one side lies on a hull edge. */
export function minAreaRect(points: Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { center: [0, 0], width: 0, height: 0, angle: 0 };
  if (hull.length < 3) {
    const [a, b = a] = hull;
    return {
      center: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2],
      width: Math.hypot(b[0] - a[0], b[1] - a[1]),
      height: 0,
      angle: Math.atan2(b[1] - a[1], b[0] - a[0]),
    };
  }
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let minU = Infinity,
      maxU = -Infinity,
      minV = Infinity,
      maxV = -Infinity;
    for (const q of hull) {
      const u = q[0] * ux + q[1] * uy;
      const v = -q[0] * uy + q[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { center: [cu * ux - cv * uy, cu * uy + cv * ux], width: maxU - minU, height: maxV - minV, angle: Math.atan2(uy, ux) };
    }
  }
  return best!;
}

/** The rectangle's corners ordered top-left, top-right, bottom-right, bottom-left. */
export function rectCorners(r: RotatedRect): Quad {
  const c = Math.cos(r.angle);
  const s = Math.sin(r.angle);
  const hw = r.width / 2;
  const hh = r.height / 2;
  const pts: Point[] = [
    [-hw, -hh],
    [hw, -hh],
    [hw, hh],
    [-hw, hh],
  ].map(([x, y]) => [r.center[0] + x * c - y * s, r.center[1] + x * s + y * c]);
  return orderCorners(pts);
}

/** PaddleOCR's ordering: the two leftmost points give top-left / bottom-left by y, likewise on the right. */
export function orderCorners(pts: Point[]): Quad {
  const p = [...pts].sort((a, b) => a[0] - b[0]);
  const [tl, bl] = p[0][1] <= p[1][1] ? [p[0], p[1]] : [p[1], p[0]];
  const [tr, br] = p[2][1] <= p[3][1] ? [p[2], p[3]] : [p[3], p[2]];
  return [tl, tr, br, bl];
}

export function quadSize(q: Quad): { width: number; height: number } {
  const d = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  return { width: Math.max(d(q[0], q[1]), d(q[3], q[2])), height: Math.max(d(q[0], q[3]), d(q[1], q[2])) };
}

/** Top to bottom, and left to right within a line (tops within half a line height count as one line). */
export function readingOrder<T extends { box: Quad }>(items: T[]): T[] {
  const top = (q: Quad) => Math.min(q[0][1], q[1][1]);
  const left = (q: Quad) => Math.min(q[0][0], q[3][0]);
  const sorted = [...items].sort((a, b) => top(a.box) - top(b.box) || left(a.box) - left(b.box));
  // group into rows, then order each row by x
  const rows: T[][] = [];
  for (const it of sorted) {
    const row = rows[rows.length - 1];
    const h = quadSize(it.box).height;
    if (row && Math.abs(top(it.box) - top(row[0].box)) < Math.max(10, h / 2)) row.push(it);
    else rows.push([it]);
  }
  return rows.flatMap((r) => r.sort((a, b) => left(a.box) - left(b.box)));
}
