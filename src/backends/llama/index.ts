// The llama.cpp text engine through node-llama-cpp: chat, completion, embeddings and reranking on
// GGUF models, on the CPU or a GPU (CUDA, Vulkan, Metal). It carries its own ggml, so it must never
// share a process with @fugood/llama.node: runners host it in a process of its own.
import { resolveChatWrapper, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import type { Backend, LoadedModel, LoadOptions } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readGgufFacts } from "../../formats/ggufFacts.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { descriptor } from "./descriptor.ts";
import { buildChoice, buildInfoOf, llamaFor, poolNote, probeDevices } from "./llamaInstance.ts";
import { SequencePool } from "./sequencePool.ts";
import { orderBatchesBySequence } from "./batchOrder.ts";
import { LlamaTextModel, memoryBytes } from "./textModel.ts";
import { LlamaVectorModel } from "./vectorModel.ts";
import { engineError } from "./engineErrors.ts";
import { DecodeThreadChooser, decodeThreadsSetting, splitDecodeThreads } from "./threads.ts";
import { attachContextThreads, type ContextThreads } from "./contextThreads.ts";
import { TokenLoop } from "./tokenLoop.ts";
import { readEnv } from "../../config/env.ts";

const KV_TYPES = { f16: "F16", q8_0: "Q8_0", q4_0: "Q4_0" } as const;

/** Fails early, with the right code, on what llama.cpp would only report as a failed load. */
async function checkModelFile(model: ModelFiles): Promise<void> {
  if (model.format !== "gguf") {
    throw new HearthError("unsupported_architecture", `the llama engine reads GGUF models, not ${model.format}`, {
      hint: "give a .gguf model",
    });
  }
  const facts = await readGgufFacts(model.primary);
  if (facts.architecture === "clip") {
    throw new HearthError("unsupported_architecture", `${model.primary} is a multimodal projector (mmproj), not a language model`, {
      hint: "give the language model's GGUF; projectors go with VLM.load(model, { mmproj })",
    });
  }
  if (model.type === "reranker" && facts.poolingType !== undefined && facts.poolingType !== 4) {
    throw new HearthError(
      "unsupported_architecture",
      `${model.primary} is not a reranking model (its pooling type is ${facts.poolingType}, not rank)`,
      {
        hint: "give a GGUF reranker (e.g. a bge-reranker or Qwen3-Reranker conversion)",
      },
    );
  }
}

function loadFailure(e: unknown, file: string): HearthError {
  const err = engineError(e, `load ${file}`);
  if (err.code !== "internal") return err;
  const msg = e instanceof Error ? e.message : String(e);
  return new HearthError("unsupported_architecture", `llama.cpp could not load ${file}: ${msg}`, {
    hint: "the file may be incomplete, or its architecture newer than this llama.cpp (update hearth)",
    cause: e,
  });
}

export default async function createBackend(): Promise<Backend> {
  return {
    descriptor,
    probe: probeDevices,
    async load(files: ModelFiles, options: LoadOptions): Promise<LoadedModel> {
      const t0 = performance.now();
      await checkModelFile(files);
      // a local OpenMP build (npm run build:llama, hearth build) where it loads and "auto" or "local"
      // asks for it: HEARTH_LLAMA_BUILD or LoadOptions.extra.llamaBuild (llamaInstance.ts)
      const choice = buildChoice(options.extra?.llamaBuild);
      const llama = await llamaFor(options.device, choice);
      const build = buildInfoOf(llama, options.device === "cpu" ? choice : undefined);
      if (options.device === "gpu" && !llama.gpu) {
        throw new HearthError("backend_unavailable", "no GPU build of llama.cpp works on this machine", { hint: "use --device cpu" });
      }
      const cores = physicalCores();
      const threads = Math.max(1, Math.min(options.threads ?? cores, cores));
      // the note on libuv's pool does not apply to a context with a decode thread of its own
      const buildSettingsOf = (ownDecodeThread: boolean) => {
        const notes = [build.note, ownDecodeThread ? undefined : poolNote(build, options.device, threads)].filter(Boolean);
        return { llamaBuild: build.build, ...(notes.length ? { llamaBuildNote: notes.join("; ") } : {}) };
      };
      const gpuLayers =
        options.device === "cpu" ? 0 : options.gpuLayers === undefined || options.gpuLayers === "max" ? "auto" : options.gpuLayers;
      let model: LlamaModel;
      try {
        model = await llama.loadModel({
          modelPath: files.primary,
          gpuLayers,
          defaultContextFlashAttention: options.flashAttention ?? "auto",
        });
      } catch (e) {
        throw loadFailure(e, files.primary);
      }
      const api = llama.gpu && options.device === "gpu" ? llama.gpu : "cpu";
      const device = `llama/${options.device}`;
      const base = { backend: descriptor.name, device: options.device, api };
      // on the CPU: a decode thread of the context's own, and on the prebuilt a persistent pool (contextThreads.ts)
      const threadsFor = (context: LlamaContext | undefined): ContextThreads =>
        context && options.device === "cpu" && readEnv().llamaThreadHelper
          ? attachContextThreads(context, model, threads, !build.persistentThreads)
          : {};
      try {
        if (files.type === "embedder" || files.type === "reranker") {
          const contextSize: number | "auto" = options.contextSize ?? "auto";
          const common = { contextSize, batchSize: options.batchSize, threads };
          const vc =
            files.type === "embedder"
              ? { kind: "embed" as const, context: await model.createEmbeddingContext(common), contextSize: 0 }
              : { kind: "rerank" as const, context: await model.createRankingContext(common) };
          if (vc.kind === "embed") vc.contextSize = options.contextSize ?? model.trainContextSize;
          // the thread helper as for text (contextThreads.ts): each short embedding is a graph compute
          const own = threadsFor((vc.context as unknown as { _llamaContext?: LlamaContext })._llamaContext);
          return new LlamaVectorModel(model, vc, {
            ...base,
            tasks: [vc.kind],
            contextSize: vc.kind === "embed" ? vc.contextSize : vc.context.contextSize,
            memoryBytes: model.size,
            loadMs: performance.now() - t0,
            settings: {
              threads,
              gpuLayers: model.gpuLayers,
              embeddingLength: model.embeddingVectorSize,
              ...buildSettingsOf(own.decodeThread === "own"),
              ...own,
            },
          });
        }
        const parallel = Math.max(1, options.parallel ?? 1);
        const context = await model.createContext({
          contextSize: options.contextSize ?? "auto",
          sequences: parallel,
          threads,
          batchSize: options.batchSize,
          flashAttention: options.flashAttention,
          experimentalKvCacheKeyType: options.kvCacheType ? KV_TYPES[options.kvCacheType] : undefined,
          experimentalKvCacheValueType: options.kvCacheType ? KV_TYPES[options.kvCacheType] : undefined,
        });
        const own = threadsFor(context);
        // one-token decode steps run on all threads or on one, whichever this context measures
        // faster (threads.ts); LoadOptions.extra.decodeThreads (e.g. from a tune profile) pins the count
        const extraDecode = Number(options.extra?.decodeThreads);
        const pinned = Number.isInteger(extraDecode) && extraDecode > 0 ? Math.min(extraDecode, threads) : undefined;
        const chooser = pinned === undefined && threads > 1 ? new DecodeThreadChooser(threads) : undefined;
        const decodeThreads = pinned ?? threads;
        const split = (decodeThreads !== threads || chooser !== undefined) && splitDecodeThreads(context, decodeThreads, 1, chooser);
        // several sequences' tokens in one batch: in the order llama.cpp computes in one go (batchOrder.ts)
        if (parallel > 1) orderBatchesBySequence(context);
        // decode and sample in the helper's native loop where this context has one (tokenLoop.ts)
        const loop = own.decodeThread === "own" ? TokenLoop.of(context, model, () => chooser?.threadsNow ?? decodeThreads) : undefined;
        const engine = {
          loop,
          llama,
          model,
          context,
          pool: new SequencePool(context, parallel),
          chatWrapper: resolveChatWrapper(model),
          device,
          seed: options.seed,
        };
        return new LlamaTextModel(engine, {
          ...base,
          tasks: ["chat", "complete"],
          contextSize: context.contextSize,
          memoryBytes: memoryBytes(model, context),
          loadMs: performance.now() - t0,
          settings: decodeThreadsSetting(split && chooser ? chooser : split ? decodeThreads : threads, {
            threads,
            gpuLayers: model.gpuLayers,
            parallel,
            batchSize: context.batchSize,
            flashAttention: context.flashAttention,
            kvCacheType: options.kvCacheType ?? "f16",
            chatWrapper: engine.chatWrapper.wrapperName,
            ...buildSettingsOf(own.decodeThread === "own"),
            ...own,
            ...(loop ? { tokenLoop: "native" } : {}),
          }),
        });
      } catch (e) {
        await model.dispose().catch(() => undefined);
        throw engineError(e, "create a context");
      }
    },
  };
}
