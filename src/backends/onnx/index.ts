// The ONNX Runtime engine: OCR (PaddleOCR det + cls + rec) and YOLO object detection, on the first
// execution provider of the requested device's order that initialises.
import { existsSync } from "node:fs";
import type { InferenceSession } from "onnxruntime-node";
import type { Backend, DeviceProbe, LoadedModel, LoadedModelInfo, LoadOptions } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { descriptor } from "./descriptor.ts";
import { createSession, deviceOfProvider, probeProviders, providerOrder, type SessionChoice } from "./providers.ts";
import { OcrPipeline, DEFAULT_OCR_SETTINGS, type OcrSettings } from "./ocr.ts";
import { YoloDetector } from "./detect.ts";
import { readOnnxMetadata } from "../../formats/onnxMetadata.ts";
import { onnxTaskOf } from "./task.ts";

type Ort = typeof import("onnxruntime-node");

function mustExist(file: string | undefined, what: string): string {
  if (!file || !existsSync(file)) {
    throw new HearthError("model_not_found", `the ${what} file is missing${file ? `: ${file}` : ""}`, {
      hint: "reinstall or re-pull the model",
    });
  }
  return file;
}

class OnnxModel implements LoadedModel {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly info: LoadedModelInfo,
    private engine: OcrPipeline | YoloDetector,
  ) {}

  async *run(request: TaskRequest, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    const task = this.info.tasks[0];
    if (request.task !== task) {
      throw new HearthError("unsupported_task", `this model runs "${task}", not "${request.task}"`, {
        hint: task === "ocr" ? "use an OCR call (ocr.read)" : "use a detection call (detector.detect)",
      });
    }
    const check = () => {
      if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    };
    check();
    // one image at a time: onnxruntime-node runs a session synchronously on the JS thread, and its
    // intra-op threads already use the cores
    const job = this.queue.then(async () => {
      const t0 = performance.now();
      const device = `onnx/${this.info.api}`;
      if (request.task === "ocr" && this.engine instanceof OcrPipeline) {
        const { timings: _t, ...r } = await this.engine.run(request.image, check);
        return { type: "result", task: "ocr", result: { ...r, profile: { totalMs: performance.now() - t0, device } } } satisfies TaskEvent;
      }
      if (request.task === "detect" && this.engine instanceof YoloDetector) {
        const r = await this.engine.run(request, check);
        return {
          type: "result",
          task: "detect",
          result: { ...r, profile: { totalMs: performance.now() - t0, device } },
        } satisfies TaskEvent;
      }
      throw new HearthError("internal", "task and engine disagree");
    });
    this.queue = job.catch(() => undefined);
    yield await job;
  }

  async dispose() {
    await this.queue;
    await this.engine.dispose();
  }
}

function loadFailure(file: string, e: unknown, order: string[]): HearthError {
  const message = e instanceof Error ? e.message : String(e);
  // the CPU provider always exists: failing there means the file, not the device
  if (order.includes("cpu")) {
    return new HearthError("unsupported_architecture", `ONNX Runtime cannot load ${file}: ${message}`, {
      hint: "check that the file is a complete .onnx model (with its external data files beside it)",
      cause: e,
    });
  }
  return new HearthError("backend_unavailable", message, { hint: "add cpu to the execution providers, or use --device cpu", cause: e });
}

export default async function createBackend(): Promise<Backend> {
  const ort: Ort = await import("onnxruntime-node");
  ort.env.logLevel = "error";
  return {
    descriptor,
    probe(): Promise<DeviceProbe[]> {
      return probeProviders(ort);
    },
    async load(model: ModelFiles, options: LoadOptions): Promise<LoadedModel> {
      const t0 = performance.now();
      const task = onnxTaskOf(model);
      const threads = options.threads ?? physicalCores();
      const order = providerOrder(options.device, options.extra?.executionProviders);
      const sessionOptions: InferenceSession.SessionOptions = {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
      };
      const open = async (file: string, o: string[]): Promise<SessionChoice> => {
        try {
          return await createSession(ort, file, o, sessionOptions);
        } catch (e) {
          throw loadFailure(file, e, o);
        }
      };
      let engine: OcrPipeline | YoloDetector;
      let first: SessionChoice;
      const extra: Record<string, unknown> = {};
      if (task === "ocr") {
        const x = model.extra ?? {};
        const det = mustExist(x.det ?? model.primary, "detection model");
        const rec = mustExist(x.rec, "recognition model");
        const dict = mustExist(x.dict, "dictionary");
        first = await open(det, order);
        // the others follow the provider the detector got
        const same = [first.provider, ...(first.provider === "cpu" ? [] : ["cpu"])];
        const recS = await open(rec, same);
        const clsS = x.cls && existsSync(x.cls) ? await open(x.cls, same) : undefined;
        const settings: OcrSettings = { ...DEFAULT_OCR_SETTINGS, ...(options.extra?.ocr as Partial<OcrSettings> | undefined) };
        engine = new OcrPipeline(ort, { det: first.session, rec: recS.session, cls: clsS?.session }, dict, settings);
        extra.angleClassifier = Boolean(clsS);
      } else {
        const file = mustExist(model.primary, "model");
        const metadata = readOnnxMetadata(file);
        first = await open(file, order);
        const d = new YoloDetector(ort, first.session, metadata);
        engine = d;
        extra.classes = d.labels.size;
        extra.inputSize = `${d.size.width}x${d.size.height}`;
      }
      return new OnnxModel(
        {
          backend: descriptor.name,
          device: deviceOfProvider(first.provider),
          api: first.provider,
          tasks: [task],
          loadMs: performance.now() - t0,
          settings: { threads, executionProvider: first.provider, providersTried: first.skipped, ...extra },
        },
        engine,
      );
    },
  };
}
