// The diffusion engine: Stable Diffusion pipelines in diffusers' ONNX layout on onnxruntime-node.
// Each part (text encoders, UNet, VAE) gets a session on the first execution provider of the
// device's order that initialises; a part that fails there falls to the CPU on its own.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import type { Backend, DeviceProbe, LoadedModel, LoadedModelInfo, LoadOptions } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { createSession, deviceOfProvider, probeProviders, providerOrder, type SessionChoice } from "../ortProviders.ts";
import { descriptor } from "./descriptor.ts";
import { ClipTokenizer } from "./clipTokenizer.ts";
import { createScheduler, type SchedulerConfig } from "./schedulers.ts";
import { DiffusionPipeline, type PipelineSessions, type PipelineSettings } from "./pipeline.ts";
import { EventQueue } from "../../streams/eventQueue.ts";

type Ort = typeof import("onnxruntime-node");

function readJson(file: string | undefined): Record<string, unknown> {
  if (!file || !existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new HearthError("unsupported_architecture", `${file} is not valid JSON`, { hint: "re-pull the model", cause: e });
  }
}

function need(files: ModelFiles, key: string, what: string): string {
  const f = files.extra?.[key];
  if (!f || !existsSync(f)) {
    throw new HearthError("model_not_found", `the model in ${files.dir} is missing its ${what}`, {
      hint: "a diffusers ONNX export has model_index.json, text_encoder/, unet/, vae_decoder/, tokenizer/ and scheduler/: re-pull or re-export it",
    });
  }
  return f;
}

const DISTILLED = /turbo|lcm|lightning|hyper-?sd/i;

/** Pipeline settings from the model's configs (model_index.json, unet/ and vae_decoder/ config.json). */
function settingsOf(files: ModelFiles, schedulerClass: string | undefined, unet: InferenceSession): PipelineSettings {
  const index = readJson(files.extra?.model_index);
  const unetConfig = readJson(path.join(files.dir, "unet", "config.json"));
  const vaeConfig = readJson(path.join(files.dir, "vae_decoder", "config.json"));
  const sampleShape =
    (unet.inputMetadata.find((m) => m.name === "sample") as { shape?: ReadonlyArray<number | string> } | undefined)?.shape ?? [];
  const sampleSize = typeof unetConfig.sample_size === "number" ? unetConfig.sample_size : files.extra?.text_encoder_2 ? 128 : 64;
  const h = typeof sampleShape[2] === "number" ? sampleShape[2] : sampleSize;
  const w = typeof sampleShape[3] === "number" ? sampleShape[3] : sampleSize;
  const channels =
    typeof sampleShape[1] === "number" ? sampleShape[1] : typeof unetConfig.in_channels === "number" ? unetConfig.in_channels : 4;
  const name = `${path.basename(files.dir)} ${String(index._name_or_path ?? "")}`;
  return {
    scalingFactor:
      typeof vaeConfig.scaling_factor === "number" ? vaeConfig.scaling_factor : files.extra?.text_encoder_2 ? 0.13025 : 0.18215,
    defaultWidth: w * 8,
    defaultHeight: h * 8,
    distilled: DISTILLED.test(name) || schedulerClass === "LCMScheduler",
    forceZerosForEmptyPrompt: index.force_zeros_for_empty_prompt !== false,
    latentChannels: channels,
    maxPixels: 2048 * 2048,
  };
}

class DiffusionModel implements LoadedModel {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly info: LoadedModelInfo,
    private pipeline: DiffusionPipeline,
    private sessions: InferenceSession[],
    readonly warnings: string[],
  ) {}

  async *run(request: TaskRequest, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    if (request.task !== "image") {
      throw new HearthError("unsupported_task", `this model generates images, not "${request.task}"`, {
        hint: "use ImageGenerator.generate, hearth infer -p ... -o out.png, or POST /v1/images/generations",
      });
    }
    const check = () => {
      if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    };
    check();
    // bad input is answered at once, not after the requests ahead of it
    this.pipeline.resolve(request);
    const events = new EventQueue<TaskEvent>();
    // one image at a time: the sessions' intra-op threads already use the cores
    const job = this.queue.then(async () => {
      check();
      const r = await this.pipeline.generate(request, { check, onStep: (step, steps) => events.push({ type: "progress", step, steps }) });
      r.profile.device = `diffusion/${this.info.api}`;
      events.push({ type: "result", task: "image", result: r });
    });
    this.queue = job.catch(() => undefined);
    job.then(
      () => events.end(),
      (e) => events.end(e),
    );
    yield* events.drain();
  }

  async dispose() {
    await this.queue;
    await Promise.all(this.sessions.map((s) => s.release()));
  }
}

export default async function createBackend(): Promise<Backend> {
  const ort: Ort = await import("onnxruntime-node");
  ort.env.logLevel = "error";
  return {
    descriptor,
    probe(): Promise<DeviceProbe[]> {
      return probeProviders(ort);
    },
    async load(files: ModelFiles, options: LoadOptions): Promise<LoadedModel> {
      const t0 = performance.now();
      const threads = options.threads ?? physicalCores();
      const order = providerOrder(options.device, options.extra?.executionProviders);
      const sessionOptions: InferenceSession.SessionOptions = {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
      };
      const unetFile = need(files, "unet", "UNet (unet/model.onnx)");
      const textFile = need(files, "text_encoder", "text encoder (text_encoder/model.onnx)");
      const decoderFile = need(files, "vae_decoder", "VAE decoder (vae_decoder/model.onnx)");
      const vocab = need(files, "tokenizer.vocab", "tokenizer (tokenizer/vocab.json)");
      const merges = need(files, "tokenizer.merges", "tokenizer (tokenizer/merges.txt)");
      const schedulerFile = need(files, "scheduler", "scheduler config (scheduler/scheduler_config.json)");
      const schedulerConfig = readJson(schedulerFile) as SchedulerConfig;
      const { scheduler, substitute } = createScheduler(schedulerConfig);
      const tok1 = new ClipTokenizer({
        vocab,
        merges,
        config: files.extra?.["tokenizer.config"],
        special: files.extra?.["tokenizer.special"],
      });
      const tok2 =
        files.extra?.["tokenizer_2.vocab"] && files.extra?.["tokenizer_2.merges"]
          ? new ClipTokenizer({
              vocab: files.extra["tokenizer_2.vocab"],
              merges: files.extra["tokenizer_2.merges"],
              config: files.extra["tokenizer_2.config"],
              special: files.extra["tokenizer_2.special"],
            })
          : undefined;

      const opened: InferenceSession[] = [];
      const providers: Record<string, string> = {};
      const skipped: Record<string, SessionChoice["skipped"]> = {};
      // a part may have its own order (extra.partProviders, e.g. the VAE on the CPU when an NPU
      // compiles the UNet but not the decoder); the others follow the device's order
      const partOrders = (options.extra?.partProviders ?? {}) as Record<string, unknown>;
      const open = async (part: string, file: string): Promise<SessionChoice> => {
        const own = partOrders[part];
        const partOrder = Array.isArray(own) && own.length ? providerOrder(options.device, own) : order;
        try {
          const choice = await createSession(ort, file, partOrder, sessionOptions);
          opened.push(choice.session);
          providers[part] = choice.provider;
          if (choice.skipped.length) skipped[part] = choice.skipped;
          return choice;
        } catch (e) {
          await Promise.all(opened.map((s) => s.release()));
          const message = e instanceof Error ? e.message : String(e);
          throw new HearthError(
            order.includes("cpu") ? "unsupported_architecture" : "backend_unavailable",
            `ONNX Runtime cannot load the ${part} (${file}): ${message}`,
            {
              hint: order.includes("cpu")
                ? "check that the file is a complete .onnx model (with its external data beside it)"
                : "add cpu to the execution providers, or use --device cpu",
              cause: e,
            },
          );
        }
      };
      const unet = await open("unet", unetFile);
      const sessions: PipelineSessions = {
        unet: unet.session,
        textEncoder: (await open("text_encoder", textFile)).session,
        vaeDecoder: (await open("vae_decoder", decoderFile)).session,
      };
      if (files.extra?.text_encoder_2) sessions.textEncoder2 = (await open("text_encoder_2", files.extra.text_encoder_2)).session;
      if (files.extra?.vae_encoder && existsSync(files.extra.vae_encoder))
        sessions.vaeEncoder = (await open("vae_encoder", files.extra.vae_encoder)).session;
      const settings = settingsOf(files, schedulerConfig._class_name, unet.session);
      const pipeline = new DiffusionPipeline(ort, sessions, [tok1, tok2], scheduler, settings);
      const warnings = substitute ? [`the model's ${substitute} is not implemented here; Euler (compatible with it) runs instead`] : [];
      return new DiffusionModel(
        {
          backend: descriptor.name,
          device: deviceOfProvider(unet.provider),
          api: unet.provider,
          tasks: ["image"],
          loadMs: performance.now() - t0,
          settings: {
            threads,
            executionProviders: providers,
            providersTried: skipped,
            scheduler: scheduler.kind,
            size: `${settings.defaultWidth}x${settings.defaultHeight}`,
            distilled: settings.distilled,
            imageToImage: Boolean(sessions.vaeEncoder),
            ...(warnings.length ? { warnings } : {}),
          },
        },
        pipeline,
        opened,
        warnings,
      );
    },
  };
}
