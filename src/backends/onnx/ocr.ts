// PaddleOCR (PP-OCRv4) end to end on ONNX Runtime: DB text detection, the 0/180 degree angle
// classifier, CRNN recognition with CTC decoding against the model's dictionary. Settings follow
// PaddleOCR's own inference defaults so results match the reference pipeline.
import { readFileSync } from "node:fs";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import type { OcrLine, OcrResult, Quad } from "../../model/tasks/cv.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { decodeRgb, padRgb, resizeRgb, toChw, type RgbImage } from "../../vision/rgbImage.ts";
import { dbBoxes } from "../../vision/dbPostprocess.ts";
import { cropQuad, rotate180, rotate90 } from "../../vision/crop.ts";
import { ctcGreedy, parseDictionary } from "../../vision/ctc.ts";
import { latinPunctuation, restoreSpaces } from "../../vision/wordGaps.ts";
import { readingOrder } from "../../vision/geometry.ts";

type Ort = typeof import("onnxruntime-node");

export interface OcrSettings {
  /** longest side of the detector's input (default 960) */
  detLimitSide: number;
  /** DB pixel threshold (default 0.3) */
  detThreshold: number;
  /** DB box score threshold (default 0.6) */
  detBoxThreshold: number;
  unclipRatio: number;
  /** lines recognised with less confidence are dropped (default 0.5) */
  dropScore: number;
  /** run the angle classifier (default true when the model has one) */
  useAngleClassifier: boolean;
  /** the classifier's confidence needed to turn a line (default 0.9) */
  angleThreshold: number;
  /** lines per recognition batch (default 6) */
  recBatch: number;
}

export const DEFAULT_OCR_SETTINGS: OcrSettings = {
  detLimitSide: 960,
  detThreshold: 0.3,
  detBoxThreshold: 0.6,
  unclipRatio: 1.5,
  dropScore: 0.5,
  useAngleClassifier: true,
  angleThreshold: 0.9,
  recBatch: 6,
};

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
const HALF: [number, number, number] = [0.5, 0.5, 0.5];
const REC_HEIGHT = 48;
const REC_MIN_WIDTH = 320;
const CLS_WIDTH = 192;
/** margin added around the image for detection: a tenth of its shorter side, 8 to 32 px */
const marginFor = (w: number, h: number) => Math.round(Math.min(32, Math.max(8, 0.1 * Math.min(w, h))));

export interface OcrSessions {
  det: InferenceSession;
  rec: InferenceSession;
  cls?: InferenceSession;
}

export class OcrPipeline {
  private alphabet: string[];

  constructor(
    private ort: Ort,
    private sessions: OcrSessions,
    dictFile: string,
    private settings: OcrSettings,
  ) {
    this.alphabet = parseDictionary(readFileSync(dictFile, "utf8"));
  }

  async run(image: Uint8Array, check: () => void): Promise<Omit<OcrResult, "profile"> & { timings: Record<string, number> }> {
    const t0 = performance.now();
    const img = await decodeRgb(image);
    const t1 = performance.now();
    check();
    const boxes = await this.detect(img);
    const t2 = performance.now();
    check();
    const crops = boxes.map((b) => {
      const c = cropQuad(img, b.box);
      return c.height / c.width >= 1.5 ? rotate90(c) : c;
    });
    const flipped = this.sessions.cls && this.settings.useAngleClassifier && crops.length ? await this.flipped(crops) : [];
    const t3 = performance.now();
    check();
    // the classifier is sometimes wrong about a line that was upright: read the lines it would
    // turn both ways and keep the reading the recogniser is surer of
    const texts = await this.recognize([...crops, ...flipped.map((i) => rotate180(crops[i]))], check);
    flipped.forEach((i, k) => {
      const turned = texts[crops.length + k];
      if (turned.confidence > texts[i].confidence) texts[i] = turned;
    });
    const t4 = performance.now();
    const lines: OcrLine[] = [];
    texts.slice(0, crops.length).forEach((t, i) => {
      const text = t.text.trim();
      if (text && t.confidence >= this.settings.dropScore) lines.push({ text, confidence: t.confidence, box: boxes[i].box });
    });
    return {
      lines: readingOrder(lines),
      width: img.width,
      height: img.height,
      timings: { decodeMs: t1 - t0, detectMs: t2 - t1, classifyMs: t3 - t2, recognizeMs: t4 - t3 },
    };
  }

  private tensor(data: Float32Array, dims: number[]): Tensor {
    return new this.ort.Tensor("float32", data, dims);
  }

  private async detect(img: RgbImage) {
    // at most detLimitSide on the longest side, never enlarged; then a margin of the border's
    // colour (text touching the edges, as in a tight crop or a one-line banner, is split or lost
    // by DB otherwise) and padding up to a multiple of 32, instead of stretching to one
    const limit = this.settings.detLimitSide;
    const ratio = Math.min(1, limit / Math.max(img.width, img.height));
    const rw = Math.max(1, Math.round(img.width * ratio));
    const rh = Math.max(1, Math.round(img.height * ratio));
    const m = marginFor(rw, rh);
    const w = Math.ceil((rw + 2 * m) / 32) * 32;
    const h = Math.ceil((rh + 2 * m) / 32) * 32;
    const input = await padRgb(await resizeRgb(img, rw, rh), { top: m, left: m, right: w - rw - m, bottom: h - rh - m });
    const det = this.sessions.det;
    const out = await det.run({ [det.inputNames[0]]: this.tensor(toChw(input, IMAGENET_MEAN, IMAGENET_STD, "bgr"), [1, 3, h, w]) });
    const prob = out[det.outputNames[0]];
    const [mh, mw] = prob.dims.slice(-2);
    const boxes = dbBoxes(prob.data as Float32Array, mw, mh, w, h, {
      threshold: this.settings.detThreshold,
      boxThreshold: this.settings.detBoxThreshold,
      unclipRatio: this.settings.unclipRatio,
    });
    // input pixels back to source pixels
    const back = (v: number, max: number) => Math.round(Math.min(Math.max((v - m) / ratio, 0), max));
    return boxes.map((b) => ({ ...b, box: b.box.map(([x, y]) => [back(x, img.width), back(y, img.height)]) as Quad }));
  }

  /** Batched strips: each resized to `height` keeping its aspect (at most `width`), zero-padded on the right. */
  private async batch(crops: RgbImage[], height: number, width: number): Promise<{ data: Float32Array; strips: RgbImage[] }> {
    const plane = height * width;
    const data = new Float32Array(crops.length * 3 * plane);
    const strips: RgbImage[] = [];
    for (let i = 0; i < crops.length; i++) {
      const c = crops[i];
      const w = Math.max(1, Math.min(width, Math.ceil((height * c.width) / c.height)));
      const r = await resizeRgb(c, w, height);
      strips.push(r);
      toChw(r, HALF, HALF, "bgr", data.subarray(i * 3 * plane, (i + 1) * 3 * plane), width);
    }
    return { data, strips };
  }

  /** Indices of the crops the angle classifier finds upside down. */
  private async flipped(crops: RgbImage[]): Promise<number[]> {
    const cls = this.sessions.cls!;
    const out: number[] = [];
    for (let s = 0; s < crops.length; s += this.settings.recBatch) {
      const part = crops.slice(s, s + this.settings.recBatch);
      const input = this.tensor((await this.batch(part, REC_HEIGHT, CLS_WIDTH)).data, [part.length, 3, REC_HEIGHT, CLS_WIDTH]);
      const r = await cls.run({ [cls.inputNames[0]]: input });
      const p = r[cls.outputNames[0]].data as Float32Array;
      part.forEach((_, i) => {
        if (p[i * 2 + 1] > p[i * 2] && p[i * 2 + 1] >= this.settings.angleThreshold) out.push(s + i);
      });
    }
    return out;
  }

  private async recognize(crops: RgbImage[], check: () => void) {
    const rec = this.sessions.rec;
    const results = new Array<{ text: string; confidence: number }>(crops.length);
    // similar aspect ratios share a batch, so little padding is computed
    const order = crops.map((c, i) => ({ i, ratio: c.width / c.height })).sort((a, b) => a.ratio - b.ratio);
    for (let s = 0; s < order.length; s += this.settings.recBatch) {
      check();
      const part = order.slice(s, s + this.settings.recBatch);
      const maxRatio = Math.max(REC_MIN_WIDTH / REC_HEIGHT, ...part.map((p) => p.ratio));
      const width = Math.ceil(REC_HEIGHT * maxRatio);
      const { data, strips } = await this.batch(
        part.map((p) => crops[p.i]),
        REC_HEIGHT,
        width,
      );
      const input = this.tensor(data, [part.length, 3, REC_HEIGHT, width]);
      const r = await rec.run({ [rec.inputNames[0]]: input });
      const probs = r[rec.outputNames[0]];
      const [, steps, classes] = probs.dims;
      if (classes !== this.alphabet.length + 1) {
        throw new HearthError(
          "unsupported_architecture",
          `the recogniser has ${classes} classes but the dictionary ${this.alphabet.length + 1}`,
          {
            hint: "use the dictionary that belongs to the recognition model",
          },
        );
      }
      part.forEach((p, k) => {
        const t = ctcGreedy(probs.data as Float32Array, steps, classes, this.alphabet, k * steps * classes);
        // ASCII punctuation first: the space rule treats full-width forms as CJK
        const text = restoreSpaces(latinPunctuation(t.text), t.steps, strips[k], width / steps);
        results[p.i] = { text, confidence: t.confidence };
      });
    }
    return results;
  }

  async dispose() {
    await this.sessions.det.release();
    await this.sessions.rec.release();
    await this.sessions.cls?.release();
  }
}
