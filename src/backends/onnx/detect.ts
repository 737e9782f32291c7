// Object detection with YOLO-family ONNX exports (Ultralytics v8 / v11 layout): one output of
// [1, 4 + classes, anchors] holding centre-x, centre-y, width, height in input pixels and one
// score per class (no objectness). Letterboxed input, NMS in TypeScript, labels from the model's
// `names` metadata.
import type { InferenceSession } from "onnxruntime-node";
import type { DetectRequest, Detection, DetectResult } from "../../model/tasks/cv.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { decodeRgb, toChw } from "../../vision/rgbImage.ts";
import { letterbox, unletterbox } from "../../vision/letterbox.ts";
import { nms, type Scored } from "../../vision/nms.ts";
import { parseLabels } from "../../formats/onnxMetadata.ts";

type Ort = typeof import("onnxruntime-node");

const ZERO: [number, number, number] = [0, 0, 0];
const ONE: [number, number, number] = [1, 1, 1];

/** The input's fixed size, else the `imgsz` metadata, else 640. */
function inputSize(session: InferenceSession, metadata: Record<string, string>): { width: number; height: number } {
  const meta = session.inputMetadata[0];
  const shape = meta && meta.isTensor ? meta.shape : [];
  const h = shape[2];
  const w = shape[3];
  if (typeof h === "number" && typeof w === "number" && h > 0 && w > 0) return { width: w, height: h };
  const m = metadata.imgsz?.match(/(\d+)\D+(\d+)/);
  if (m) return { height: Number(m[1]), width: Number(m[2]) };
  return { width: 640, height: 640 };
}

export class YoloDetector {
  readonly labels: Map<number, string>;
  readonly size: { width: number; height: number };

  constructor(
    private ort: Ort,
    private session: InferenceSession,
    metadata: Record<string, string>,
  ) {
    this.labels = parseLabels(metadata.names);
    this.size = inputSize(session, metadata);
  }

  async run(req: DetectRequest, check: () => void): Promise<Omit<DetectResult, "profile">> {
    const img = await decodeRgb(req.image);
    check();
    const { width, height } = this.size;
    const lb = await letterbox(img, width, height);
    const input = new this.ort.Tensor("float32", toChw(lb.image, ZERO, ONE, "rgb"), [1, 3, height, width]);
    const out = await this.session.run({ [this.session.inputNames[0]]: input });
    const t = out[this.session.outputNames[0]];
    if (t.dims.length !== 3) {
      throw new HearthError("unsupported_architecture", `expected a YOLO output of [1, 4 + classes, anchors], got [${t.dims.join(", ")}]`, {
        hint: "export the model with Ultralytics (format=onnx, nms=False)",
      });
    }
    // v8/v11 give [1, channels, anchors]; some exports transpose to [1, anchors, channels]
    const transposed = t.dims[1] > t.dims[2];
    const channels = transposed ? t.dims[2] : t.dims[1];
    const anchors = transposed ? t.dims[1] : t.dims[2];
    const classes = channels - 4;
    if (classes < 1)
      throw new HearthError("unsupported_architecture", `the output has ${channels} channels, fewer than 5`, {
        hint: "give a YOLO v8/v11 detection model",
      });
    const data = t.data as Float32Array;
    const at = transposed ? (c: number, a: number) => data[a * channels + c] : (c: number, a: number) => data[c * anchors + a];
    const scoreThreshold = req.scoreThreshold ?? 0.25;
    const candidates: Scored[] = [];
    for (let a = 0; a < anchors; a++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < classes; c++) {
        const s = at(4 + c, a);
        if (s > bestScore) {
          bestScore = s;
          best = c;
        }
      }
      if (!(bestScore >= scoreThreshold)) continue;
      const cx = at(0, a),
        cy = at(1, a),
        w = at(2, a),
        h = at(3, a);
      const box = unletterbox([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], lb, img.width, img.height);
      // boxes that fall off the image (into the letterbox padding) leave nothing to show
      if (box[2] - box[0] < 1 || box[3] - box[1] < 1) continue;
      candidates.push({ box, score: bestScore, classId: best });
    }
    const kept = nms(candidates, { iouThreshold: req.iouThreshold ?? 0.45 });
    const detections: Detection[] = kept.map((k) => ({
      label: this.labels.get(k.classId) ?? `class ${k.classId}`,
      classId: k.classId,
      score: k.score,
      box: k.box.map((v) => Math.round(v * 10) / 10) as Detection["box"],
    }));
    return { detections, width: img.width, height: img.height };
  }

  async dispose() {
    await this.session.release();
  }
}
