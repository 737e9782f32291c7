// Object detection: `Detector.load("yolo11n.onnx")` (YOLO v8 / v11 ONNX exports), then
// `detector.detect(image)` -> labelled boxes in source pixels, labels from the model's metadata.
import type { LoadedModel } from "../backends/types.ts";
import type { ModelFiles } from "../model/types.ts";
import type { DetectResult, Detection } from "../model/tasks/cv.ts";
import { loadModel } from "../runtime/load.ts";
import { engineOptions } from "./engineOptions.ts";
import { loadReporter } from "./loadProgress.ts";
import { cvFiles, imageBytes, runToResult } from "./cvModel.ts";
import type { MediaInputOptions, MediaSource } from "./mediaInput.ts";
import type { LoadModelOptions, ModelHandleInfo } from "./types.ts";

export type { DetectResult, Detection };

export interface DetectorLoadOptions extends LoadModelOptions {
  /** ONNX Runtime execution providers in order; default: from `device` */
  executionProviders?: string[];
}

/** Options of `detector.detect()`. */
export interface DetectOptions extends MediaInputOptions {
  /** lowest class score kept (default 0.25) */
  scoreThreshold?: number;
  /** overlap above which the weaker of two same-class boxes is dropped (default 0.45) */
  iouThreshold?: number;
  signal?: AbortSignal;
}

/** Object detection with YOLO v8/v11 ONNX models: `Detector.load(ref)`, then `detect(image)`. */
export class Detector {
  private constructor(
    private model: LoadedModel,
    readonly info: ModelHandleInfo,
  ) {}

  /** Loads a YOLO ONNX model: a path, a store name, or model files as they are. */
  static async load(ref: string | ModelFiles, options: DetectorLoadOptions = {}): Promise<Detector> {
    const progress = loadReporter(typeof ref === "string" ? ref : ref.primary, options);
    const files = await cvFiles(ref, { pull: options.pull, ...progress.resolve });
    const model = await progress.load(() =>
      loadModel(
        { ...files, extra: { task: "detect", ...files.extra } },
        {
          ...engineOptions(options),
          extra: { executionProviders: options.executionProviders },
        },
      ),
    );
    return new Detector(model, { ...model.info, ref: typeof ref === "string" ? ref : files.primary });
  }

  /** Finds objects in an image: a path, bytes or data: URI. */
  async detect(image: MediaSource, options: DetectOptions = {}): Promise<DetectResult> {
    const bytes = await imageBytes(image, options);
    return runToResult(
      this.model,
      {
        task: "detect",
        image: bytes,
        scoreThreshold: options.scoreThreshold,
        iouThreshold: options.iouThreshold,
      },
      options.signal,
    );
  }

  /** Frees the model. */
  async dispose(): Promise<void> {
    await this.model.dispose();
  }

  /** For `await using detector = await Detector.load(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
