// The llama.cpp multimodal engine through @fugood/llama.node: a GGUF text model plus an mmproj
// projector (vision and/or audio encoder). It carries its own ggml, so it must never share a
// process with node-llama-cpp: runners host it in a process of its own.
import type { LlamaCompletionOptions, LlamaCompletionResult, LibVariant } from "@fugood/llama.node";
import type { Backend, DeviceProbe, LoadedModel, LoadOptions } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import type { FinishReason, GenerationResult, OutputConstraint, SamplingOptions } from "../../model/tasks/text.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { descriptor } from "./descriptor.ts";
import { EventQueue } from "../../streams/eventQueue.ts";
import { gguf } from "@huggingface/gguf";
import { toLlamaNodeMessages, type MediaSupport } from "./messages.ts";
import { uncut } from "./finalText.ts";
import { ThinkSplitter } from "../../streams/thinkSplitter.ts";

type LlamaNode = typeof import("@fugood/llama.node");
type Context = Awaited<ReturnType<LlamaNode["loadModel"]>>;

const GPU_VARIANTS: LibVariant[] = ["cuda", "vulkan"];

async function gpuVariant(ln: LlamaNode): Promise<{ variant?: LibVariant; reason: string }> {
  const reasons: string[] = [];
  for (const variant of GPU_VARIANTS) {
    try {
      if (!(await ln.isLibVariantAvailable(variant))) {
        reasons.push(`${variant}: no build for this platform`);
        continue;
      }
      const devices = await ln.getBackendDevicesInfo(variant);
      if (devices.some((d) => d.type.toLowerCase().includes("gpu"))) return { variant, reason: "" };
      reasons.push(`${variant}: no GPU device`);
    } catch (e) {
      reasons.push(`${variant}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
    }
  }
  return { reason: reasons.join("; ") };
}

function samplingOptions(s: SamplingOptions = {}): Partial<LlamaCompletionOptions> {
  // a bias or ban the engine would drop (descriptor.noTokenBias) is refused, not ignored
  if ((s.logitBias && Object.keys(s.logitBias).length > 0) || s.ignoreEos) {
    throw new HearthError("unsupported_task", `the llama-mm engine cannot bias or forbid tokens (${descriptor.noTokenBias})`, {
      hint: 'leave out logit_bias and ignore_eos, or load a text model with the llama engine (backend "llama", --backend llama)',
    });
  }
  return {
    temperature: s.temperature ?? 0.8,
    top_p: s.topP,
    top_k: s.topK,
    min_p: s.minP,
    penalty_repeat: s.repeatPenalty,
    penalty_present: s.presencePenalty,
    penalty_freq: s.frequencyPenalty,
    seed: s.seed,
    n_predict: s.maxTokens ?? -1,
    stop: s.stop,
    // llama.node turns XTC on by default (probability 0.1 at threshold 0: one step in ten drops the
    // likeliest tokens, so even temperature 0 gave six different answers in six); hearth offers no XTC
    xtc_probability: 0,
  };
}

function constraintOptions(c?: OutputConstraint): Partial<LlamaCompletionOptions> {
  if (!c) return {};
  if (c.type === "grammar") return { grammar: c.grammar };
  if (c.type === "json_schema") return { response_format: { type: "json_schema", json_schema: { schema: c.schema } } };
  return { response_format: { type: "json_object" } };
}

/** llama.node 1.7.15 sets stopped_limited at run time (its types leave it out) */
type CompletionResult = LlamaCompletionResult & { stopped_limited?: boolean };

/**
 * Tokens generated. llama.node's tokens_predicted came out one short of n_predict in some
 * completions that ended on the limit (47 for 48, 0 for 1; 2026-12-05), so a completion stopped by
 * maxTokens counts maxTokens.
 */
function generatedTokens(r: CompletionResult, maxTokens: number | undefined): number {
  return r.stopped_limited && maxTokens !== undefined && !r.context_full ? Math.max(maxTokens, r.tokens_predicted) : r.tokens_predicted;
}

function finishReason(r: CompletionResult, maxTokens: number | undefined, aborted: boolean): FinishReason {
  if (aborted || r.interrupted) return "abort";
  if (r.context_full || r.stopped_limited || (maxTokens !== undefined && r.tokens_predicted >= maxTokens)) return "length";
  return "stop";
}

class LlamaMmModel implements LoadedModel {
  readonly info;
  // llama.node runs one completion per context at a time: requests queue here
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private ctx: Context,
    private support: MediaSupport,
    private reopen: () => Promise<Context>,
    info: LoadedModel["info"],
  ) {
    this.info = info;
  }

  run(request: TaskRequest, signal?: AbortSignal): AsyncIterable<TaskEvent> {
    if (request.task !== "chat" && request.task !== "complete") {
      throw new HearthError("unsupported_task", `the llama-mm engine cannot run task "${request.task}"`, {
        hint: "it runs chat and complete",
      });
    }
    if (this.disposed) throw new HearthError("bad_input", "the model was disposed", { hint: "load it again" });
    // llama.node 1.7.15 with tools: a forced call failed with a bare std::exception and a later
    // request crashed the process (SIGSEGV, Qwen3's template): tools stay with the llama engine
    if (request.task === "chat" && (request.tools?.length || request.messages.some((m) => m.toolCalls?.length || m.role === "tool"))) {
      throw new HearthError("unsupported_task", "the llama-mm engine does not run tool calls", {
        hint: 'load the model with the llama engine (backend "llama", --backend llama) for tools',
      });
    }
    // convert before queueing, so a bad request fails at once, not after others finish
    const options: LlamaCompletionOptions = {
      ...samplingOptions(request.sampling),
      ...constraintOptions(request.constraint),
      ...(request.task === "chat"
        ? { messages: toLlamaNodeMessages(request.messages, this.support), jinja: true }
        : { prompt: request.prompt }),
    };
    const q = new EventQueue();
    const task = request.task;
    const maxTokens = request.sampling?.maxTokens;
    const job = this.queue.then(() => this.complete(task, options, maxTokens, q, signal));
    this.queue = job.catch(() => undefined);
    job.catch((e) => q.end(e));
    return q.drain();
  }

  // llama.node 1.7.15 marks a context busy in completion() *after* queueing the worker, and clears
  // the mark from the worker's completion hook: when the worker finishes first (a short completion
  // on a loaded machine), the mark is never cleared and every later completion is refused with
  // "Another completion is in progress". Our queue already runs one completion at a time, so that
  // refusal always means the stale mark: wait a moment for a slow clear, then reopen the context.
  private async completionWhenFree(options: LlamaCompletionOptions, onToken: (t: { token?: string }) => void) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ctx.completion(options, onToken);
      } catch (e) {
        if (!/another completion is in progress/i.test(String((e as Error)?.message))) throw e;
        if (attempt < 20) {
          await new Promise((r) => setTimeout(r, 5));
        } else if (attempt === 20) {
          await this.ctx.release().catch(() => undefined);
          this.ctx = await this.reopen();
        } else {
          throw e;
        }
      }
    }
  }

  private async complete(
    task: "chat" | "complete",
    options: LlamaCompletionOptions,
    maxTokens: number | undefined,
    q: EventQueue,
    signal?: AbortSignal,
  ) {
    if (signal?.aborted) throw new HearthError("aborted", "the request was aborted");
    const t0 = performance.now();
    let ttft: number | undefined;
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      this.ctx.stopCompletion();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    let r: CompletionResult;
    // Token callbacks reach the JS thread through a queue that can still hold tokens when the
    // completion's promise resolves (seen on a loaded machine): stream what arrives in time, send
    // the rest from the final text, and drop late callbacks, so the stream always adds up to the result.
    // A chat answer's <think> block streams as reasoning, as the llama engine streams it (llama.node
    // leaves it in the text).
    const think = task === "chat" ? new ThinkSplitter() : undefined;
    const emit = (piece: string) => {
      if (!think) q.push({ type: "text", text: piece });
      else for (const p of think.push(piece)) q.push(p);
    };
    let streamed = "";
    let text = "";
    let finished = false;
    try {
      r = await this.completionWhenFree(options, (t) => {
        if (finished) return;
        ttft ??= performance.now() - t0;
        // `content`/`reasoning_content` in these callbacks are the parsed text so far; the new piece is `token`
        if (t.token) {
          streamed += t.token;
          emit(t.token);
        }
      });
      finished = true;
      // a chat's raw text, to split here; a completion's as llama.node gives it
      text = uncut(think ? r.text : (r.content ?? r.text), streamed);
      if (text.startsWith(streamed) && text.length > streamed.length) {
        ttft ??= performance.now() - t0;
        emit(text.slice(streamed.length));
      }
      if (think) {
        for (const p of think.flush()) q.push(p);
        text = think.text;
      }
    } catch (e) {
      throw mediaError(e);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    if (aborted) throw new HearthError("aborted", "the request was aborted");
    const totalMs = performance.now() - t0;
    const result: GenerationResult = {
      text,
      reasoning: think?.reasoning || r.reasoning_content || undefined,
      finishReason: finishReason(r, maxTokens, aborted),
      usage: { promptTokens: r.tokens_evaluated, completionTokens: generatedTokens(r, maxTokens) },
      profile: {
        ttftMs: ttft ?? totalMs,
        prefillTokensPerSec: r.timings.prompt_per_second || undefined,
        decodeTokensPerSec: r.timings.predicted_per_second || undefined,
        promptTokens: r.tokens_evaluated,
        generatedTokens: generatedTokens(r, maxTokens),
        totalMs,
        device: `llama-mm/${this.info.device}`,
      },
    };
    q.push({ type: "result", task, result });
    q.end();
  }

  async dispose() {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    if (this.ctx.isMultimodalEnabled()) this.ctx.releaseMultimodal();
    await this.ctx.release();
  }
}

/** The metadata of a GGUF header, or a clear error when the file is not GGUF. */
async function ggufMetadata(file: string): Promise<Record<string, unknown>> {
  try {
    const { metadata } = await gguf(file, { allowLocalFile: true });
    return metadata as Record<string, unknown>;
  } catch (e) {
    throw new HearthError("unsupported_architecture", `${file} is not a readable GGUF file: ${e instanceof Error ? e.message : e}`, {
      hint: "check the path, or download the file again",
    });
  }
}

/** llama.node reports undecodable media as plain errors; give them our code. */
function mediaError(e: unknown): unknown {
  if (e instanceof HearthError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/bitmap|media|image|audio|decode/i.test(msg)) {
    return new HearthError("unsupported_media", `the engine could not use the media: ${msg}`, {
      hint: "check the image or audio file",
      cause: e,
    });
  }
  return new HearthError("internal", `llama-mm: ${msg}`, { cause: e });
}

export default async function createBackend(): Promise<Backend> {
  const ln: LlamaNode = await import("@fugood/llama.node");
  return {
    descriptor,
    async probe(): Promise<DeviceProbe[]> {
      const gpu = await gpuVariant(ln);
      return [
        { device: "cpu", api: "cpu", available: true },
        { device: "gpu", api: gpu.variant ?? "cuda/vulkan", available: !!gpu.variant, reason: gpu.variant ? undefined : gpu.reason },
      ];
    },
    async load(model: ModelFiles, options: LoadOptions): Promise<LoadedModel> {
      const t0 = performance.now();
      let variant: LibVariant = "default";
      if (options.device === "gpu") {
        const gpu = await gpuVariant(ln);
        if (!gpu.variant)
          throw new HearthError("backend_unavailable", `llama-mm cannot use a GPU here: ${gpu.reason}`, { hint: "use --device cpu" });
        variant = gpu.variant;
      }
      // llama.node 1.7.15 crashes the process (SIGSEGV) when llama.cpp fails to load a model, so
      // the common mistakes are caught from the header first: a projector given as the model, not GGUF
      const textMeta = await ggufMetadata(model.primary);
      const arch = String(textMeta["general.architecture"] ?? "");
      if (arch === "clip") {
        throw new HearthError("unsupported_architecture", `${model.primary} is a multimodal projector (mmproj), not a text model`, {
          hint: "give the language model as the model and this file as --mmproj",
        });
      }
      if (model.mmproj) {
        const projMeta = await ggufMetadata(model.mmproj);
        if (projMeta["general.architecture"] !== "clip") {
          throw new HearthError(
            "unsupported_architecture",
            `${model.mmproj} is not a multimodal projector (its architecture is not "clip")`,
            {
              hint: "give the mmproj-*.gguf file made for this model",
            },
          );
        }
        // A width mismatch makes mtmd's init fail, and the process died after that failure now and
        // then (a full test run, never alone), so it is refused from the headers where they say the
        // width: convert_hf_to_gguf writes the text model's width as projection_dim, but the legacy
        // LLaVA/MiniCPM-V scripts (these projector types) wrote CLIP's own, so those are left to mtmd
        const legacy = ["mlp", "mlp_norm", "ldp", "ldpv2", "resampler"].includes(String(projMeta["clip.projector_type"] ?? "mlp"));
        const textWidth = Number(textMeta[`${arch}.embedding_length`]);
        const projWidths = ["clip.vision.projection_dim", "clip.audio.projection_dim"].map((k) => Number(projMeta[k])).filter((n) => n > 0);
        if (!legacy && textWidth > 0 && projWidths.length > 0 && !projWidths.includes(textWidth)) {
          throw new HearthError(
            "unsupported_architecture",
            `the projector ${model.mmproj} does not load with this model: it projects to width ${projWidths[0]}, the model's embedding width is ${textWidth}`,
            {
              hint: "give the mmproj file made for this exact model (its output width must match the model's embedding width)",
            },
          );
        }
      }
      const threads = options.threads ?? physicalCores();
      // llama.node has no fit estimate of its own: "auto" offloads every layer, as "max" does
      const all = options.gpuLayers === "max" || options.gpuLayers === "auto" || options.gpuLayers === undefined;
      const gpuLayers = options.device === "gpu" ? (all ? 999 : (options.gpuLayers as number)) : 0;
      const open = async (): Promise<{ ctx: Context; support: MediaSupport }> => {
        let ctx: Context;
        try {
          ctx = await ln.loadModel({
            model: model.primary,
            lib_variant: variant,
            n_ctx: options.contextSize ?? 4096,
            n_batch: options.batchSize,
            n_parallel: options.parallel ?? 1,
            n_threads: threads,
            n_gpu_layers: gpuLayers,
            cache_type_k: options.kvCacheType,
            cache_type_v: options.kvCacheType,
            flash_attn_type: options.flashAttention === undefined ? "auto" : options.flashAttention ? "on" : "off",
          });
        } catch (e) {
          throw new HearthError(
            "unsupported_architecture",
            `llama-mm could not load ${model.primary}: ${e instanceof Error ? e.message : e}`,
            {
              hint: "check that the file is a complete GGUF text model",
              cause: e,
            },
          );
        }
        let support: MediaSupport = { vision: false, audio: false };
        if (model.mmproj) {
          let ok = false;
          try {
            ok = ctx.initMultimodal({ path: model.mmproj, use_gpu: options.device === "gpu" });
          } catch {
            ok = false;
          }
          if (!ok) {
            await ctx.release();
            throw new HearthError("unsupported_architecture", `the projector ${model.mmproj} does not load with this model`, {
              hint: "give the mmproj file made for this exact model (its output width must match the model's embedding width)",
            });
          }
          support = ctx.getMultimodalSupport();
        }
        return { ctx, support };
      };
      const { ctx, support } = await open();
      const info = ctx.getModelInfo() as { size?: number; nCtx?: number };
      return new LlamaMmModel(ctx, support, async () => (await open()).ctx, {
        backend: descriptor.name,
        device: options.device,
        api: variant === "default" ? "cpu" : variant,
        tasks: ["chat", "complete"],
        contextSize: options.contextSize ?? 4096,
        memoryBytes: info.size,
        loadMs: performance.now() - t0,
        settings: { threads, gpuLayers, vision: support.vision, audio: support.audio, libVariant: variant },
      });
    },
  };
}
