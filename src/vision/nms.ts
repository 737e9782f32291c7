// Non-maximum suppression: of boxes that overlap more than the IoU threshold, the highest score
// stays. Per class by default (a person and a bicycle may overlap).

export type Box = [number, number, number, number]; // x1, y1, x2, y2

export interface Scored {
  box: Box;
  score: number;
  classId: number;
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

export interface NmsOptions {
  /** default 0.45 */
  iouThreshold?: number;
  /** suppress across classes too (default false) */
  classAgnostic?: boolean;
  /** keep at most this many (default 300) */
  maxDetections?: number;
}

/** The kept items, highest score first. */
export function nms<T extends Scored>(items: T[], o: NmsOptions = {}): T[] {
  const threshold = o.iouThreshold ?? 0.45;
  const max = o.maxDetections ?? 300;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const it of sorted) {
    if (kept.length >= max) break;
    if (kept.some((k) => (o.classAgnostic || k.classId === it.classId) && iou(k.box, it.box) > threshold)) continue;
    kept.push(it);
  }
  return kept;
}
