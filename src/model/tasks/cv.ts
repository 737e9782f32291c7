// Requests and results of computer-vision tasks (ONNX backend): OCR, detection, classification.
import type { Profile } from "../profile.ts";

/** [x, y] points, clockwise from top-left, in source-image pixels. */
export type Quad = [[number, number], [number, number], [number, number], [number, number]];

export interface OcrRequest {
  task: "ocr";
  /** encoded image bytes (PNG, JPEG, WebP, ...) */
  image: Uint8Array;
}

/** One recognised line of text. */
export interface OcrLine {
  text: string;
  confidence: number;
  box: Quad;
}

/** What `ocr.read()` resolves to: lines in reading order, with the image's size. */
export interface OcrResult {
  lines: OcrLine[];
  width: number;
  height: number;
  profile: Profile;
}

export interface DetectRequest {
  task: "detect";
  image: Uint8Array;
  /** default 0.25 */
  scoreThreshold?: number;
  /** default 0.45 */
  iouThreshold?: number;
}

/** One detected object. */
export interface Detection {
  label: string;
  classId: number;
  score: number;
  /** [x1, y1, x2, y2] in source-image pixels */
  box: [number, number, number, number];
}

/** What `detector.detect()` resolves to. */
export interface DetectResult {
  detections: Detection[];
  width: number;
  height: number;
  profile: Profile;
}
