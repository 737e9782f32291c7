// Measures one cell of the matrix in this process: resolveModel -> the engine's Backend.load with
// exactly the cell's settings -> warm-up -> repetitions of LoadedModel.run(request).
// The engine is loaded through the registry, not the runtime's loadModel: a measurement must run
// the engine and device it names, never a planned alternative, a stored profile's settings or a
// fallback (and bench sits below the runtime and planner, which read what it measures). Isolation
// is bench's own: each cell runs in a process of its own (runCell.ts).
// A failure is recorded in the result, never thrown: one bad cell must not end a matrix.
import type { LoadedModel } from "../backends/types.ts";
import type { TaskEvent } from "../model/task.ts";
import type { GenerationResult } from "../model/tasks/text.ts";
import type { Profile } from "../model/profile.ts";
import { loadBackend } from "../backends/registry.ts";
import { HearthError, isHearthError } from "../errors/HearthError.ts";
import { engineFor, filesFor } from "./cellModel.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import type { BenchCell } from "./matrix.ts";
import type { BenchSettings, CellResult } from "./types.ts";
import { summarize } from "./stats.ts";
import { currentRss, peakRss, resetPeakRss, GpuMemorySampler } from "./memory.ts";
import { promptText, requestFor, testAudio, testImage, testScene, workloadKind, type WorkloadInput } from "./workload.ts";
import { rescaleWords } from "./prompt.ts";

export interface CellProgress {
  phase: "load" | "calibrate" | "warmup" | "rep" | "done";
  /** 1-based repetition */
  rep?: number;
  of?: number;
}

interface RunSample {
  /** only where the engine streams (generation, speech segments) */
  ttftMs?: number;
  latencyMs: number;
  promptTokens?: number;
  genTokens?: number;
  prefillTokensPerSec?: number;
  decodeTokensPerSec?: number;
  realTimeFactor?: number;
  stepMs?: number;
}

export function oneLine(e: unknown): string {
  if (isHearthError(e)) return e.line;
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

async function runOnce(model: LoadedModel, w: WorkloadInput): Promise<RunSample> {
  const t0 = performance.now();
  let first: number | undefined;
  let result: unknown;
  for await (const ev of model.run(requestFor(w)) as AsyncIterable<TaskEvent>) {
    if (first === undefined && (ev.type === "text" || ev.type === "segment" || ev.type === "reasoning")) first = performance.now() - t0;
    if (ev.type === "result") result = ev.result;
  }
  const latencyMs = performance.now() - t0;
  if (!result) throw new HearthError("internal", "the engine ended without a result");
  const profile = (result as { profile?: Profile }).profile ?? { totalMs: latencyMs };
  const ttftMs = first ?? profile.ttftMs ?? latencyMs;
  if (w.kind === "generate") {
    const g = result as GenerationResult;
    const pt = g.usage.promptTokens;
    const gt = g.usage.completionTokens;
    return {
      ttftMs,
      latencyMs,
      promptTokens: pt,
      genTokens: gt,
      prefillTokensPerSec: profile.prefillTokensPerSec ?? (pt && ttftMs > 0 ? pt / (ttftMs / 1000) : undefined),
      decodeTokensPerSec:
        profile.decodeTokensPerSec ?? (gt > 1 && latencyMs > ttftMs ? (gt - 1) / ((latencyMs - ttftMs) / 1000) : undefined),
    };
  }
  if (w.kind === "embed" || w.kind === "rerank") {
    const pt = (result as { usage?: { promptTokens?: number } }).usage?.promptTokens;
    return { latencyMs, promptTokens: pt, prefillTokensPerSec: pt ? pt / (latencyMs / 1000) : undefined };
  }
  if (w.kind === "asr") {
    const durationMs = (result as { durationMs?: number }).durationMs;
    return { ttftMs, latencyMs, realTimeFactor: durationMs ? latencyMs / durationMs : profile.realTimeFactor };
  }
  if (w.kind === "image") return { latencyMs, stepMs: (profile as { msPerStep?: number }).msPerStep };
  return { latencyMs };
}

export async function measureCell(
  cell: BenchCell,
  label: string,
  settings: BenchSettings,
  onProgress: (p: CellProgress) => void = () => {},
): Promise<CellResult> {
  const out: CellResult = { cell, label, ok: false, reps: 0, errors: 0, errorRate: 1 };
  const gpu = new GpuMemorySampler([process.pid]);
  let model: LoadedModel | undefined;
  try {
    // runBench resolved (and pulled) the model already: never download from inside a measurement
    const files = filesFor(await resolveModel(cell.model, { pull: false }), cell.backend);
    const kind = workloadKind(files);
    out.task = kind;
    resetPeakRss();
    out.baselineRssBytes = currentRss();
    gpu.start();
    onProgress({ phase: "load" });
    const t0 = performance.now();
    const backend = await loadBackend(engineFor(files, cell));
    model = await backend.load(files, {
      device: cell.device,
      threads: cell.threads,
      batchSize: cell.batchSize,
      // enough for the prompt and the generation, as llama-bench sizes it, unless the cell says (a
      // prompt file's length in tokens is unknown before loading: the engine's default context then)
      contextSize:
        cell.contextSize ??
        (kind === "generate" && !settings.promptFile
          ? Math.ceil((settings.promptTokens + settings.genTokens + 64) / 256) * 256
          : undefined),
      flashAttention: cell.flashAttention,
      kvCacheType: cell.kvCacheType,
      gpuLayers: cell.gpuLayers,
      seed: settings.seed,
      extra: cell.llamaBuild ? { llamaBuild: cell.llamaBuild } : undefined,
    });
    out.loadMs = performance.now() - t0;
    out.backend = model.info.backend;
    out.device = model.info.api && model.info.api !== model.info.device ? `${model.info.device}/${model.info.api}` : model.info.device;
    out.settings = model.info.settings;

    const w: WorkloadInput = {
      kind,
      text: "",
      genTokens: settings.genTokens,
      seed: settings.seed,
      banEnds: kind === "generate" && !backend.descriptor.noTokenBias,
      audio: kind === "asr" ? testAudio(settings.audioSeconds, settings.seed) : undefined,
      image: kind === "ocr" ? await testImage() : kind === "detect" ? await testScene() : undefined,
    };
    // start at half a word per token (real vocabularies give 1.2 to 1.5 tokens a word), then rescale
    let words = Math.max(1, Math.round(settings.promptTokens / 2));
    const textFor = (run: number) => promptText({ promptFile: settings.promptFile, words, seed: settings.seed, run });

    // synthetic prompts: rescale until the engine counts about the asked number of tokens
    if (!settings.promptFile && (kind === "generate" || kind === "embed" || kind === "rerank")) {
      let best = { words, off: Infinity };
      for (let i = 0; i < 5; i++) {
        onProgress({ phase: "calibrate" });
        let got: number;
        try {
          got = (await runOnce(model, { ...w, text: textFor(-1 - i), genTokens: 1 })).promptTokens ?? 0;
        } catch (e) {
          // too long for the context: try a shorter text
          if (words === 1) throw e;
          words = Math.max(1, Math.floor(words / 2));
          continue;
        }
        const off = Math.abs(got - settings.promptTokens);
        if (off < best.off) best = { words, off };
        if (off <= Math.max(2, settings.promptTokens * 0.02)) break;
        const next = rescaleWords(words, got, settings.promptTokens);
        if (next === words || next === best.words) break;
        words = next;
      }
      // a word is several tokens in some vocabularies: keep the closest length seen
      words = best.words;
    }
    for (let i = 0; i < settings.warmup; i++) {
      onProgress({ phase: "warmup", rep: i + 1, of: settings.warmup });
      await runOnce(model, { ...w, text: textFor(1000 + i) });
    }
    const samples: RunSample[] = [];
    for (let i = 0; i < settings.reps; i++) {
      onProgress({ phase: "rep", rep: i + 1, of: settings.reps });
      out.reps++;
      try {
        samples.push(await runOnce(model, { ...w, text: textFor(i) }));
      } catch (e) {
        out.errors++;
        out.error ??= oneLine(e);
      }
    }
    const pick = (k: keyof RunSample) => samples.map((s) => s[k]).filter((v): v is number => typeof v === "number");
    out.errorRate = out.reps ? out.errors / out.reps : 1;
    out.ok = samples.length > 0;
    out.promptTokens = summarize(pick("promptTokens"))?.median;
    out.genTokens = summarize(pick("genTokens"))?.median;
    out.prefillTokensPerSec = summarize(pick("prefillTokensPerSec"), "higher-is-better");
    out.decodeTokensPerSec = summarize(pick("decodeTokensPerSec"), "higher-is-better");
    out.ttftMs = summarize(pick("ttftMs"));
    out.latencyMs = summarize(pick("latencyMs"));
    out.realTimeFactor = summarize(pick("realTimeFactor"));
    out.stepMs = summarize(pick("stepMs"));
  } catch (e) {
    out.error = oneLine(e);
  } finally {
    out.peakRssBytes = peakRss();
    out.peakGpuBytes = await gpu.stop();
    await model?.dispose().catch(() => undefined);
    onProgress({ phase: "done" });
  }
  return out;
}
