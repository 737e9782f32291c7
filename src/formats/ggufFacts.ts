// Facts from a GGUF header, read from a local file or a URL (a Range read: only the header travels).
// Used by the store (manifest facts before a download), the planner (fit and layers) and the CLI
// (what kind of model a bare path is).
import { gguf, GGMLFileQuantizationType } from "@huggingface/gguf";
import type { ModelType } from "../model/types.ts";
import { HearthError } from "../errors/HearthError.ts";

/** Facts read from the GGUF header (or ONNX metadata) before the weights are loaded or downloaded. */
export interface ModelFacts {
  architecture?: string;
  /** the model's own name (general.name) */
  name?: string;
  parameters?: number;
  contextLength?: number;
  layers?: number;
  embeddingLength?: number;
  headCount?: number;
  headCountKv?: number;
  hasChatTemplate?: boolean;
  chatTemplate?: string;
  /** e.g. ["text"], ["text","image"] */
  modalities?: string[];
  /** file type as a quant label, e.g. "Q8_0", "Q4_K_M" */
  quant?: string;
  /** llama.cpp pooling type: 1 mean, 2 cls, 3 last, 4 rank */
  poolingType?: number;
  /** the model type the header suggests */
  typeGuess?: ModelType;
}

export interface ReadFactsOptions {
  /** extra headers for a URL (Authorization) */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : undefined;
}

/** Reads the header of a GGUF file (path or http(s) URL). Throws HearthError when it is not GGUF. */
export async function readGgufFacts(source: string, options: ReadFactsOptions = {}): Promise<ModelFacts> {
  const isUrl = /^https?:\/\//i.test(source);
  let parsed: Awaited<ReturnType<typeof gguf>> & { parameterCount?: number };
  try {
    parsed = await gguf(source, {
      allowLocalFile: !isUrl,
      computeParametersCount: true,
      fetch: options.fetch,
      additionalFetchHeaders: options.headers,
    });
  } catch (e) {
    throw new HearthError("unsupported_architecture", `${source} is not a readable GGUF file: ${e instanceof Error ? e.message : e}`, {
      hint: "check the path or repository; hearth reads GGUF and ONNX models",
      cause: e,
    });
  }
  const m = parsed.metadata as Record<string, unknown>;
  const arch = typeof m["general.architecture"] === "string" ? (m["general.architecture"] as string) : undefined;
  const k = (key: string) => (arch ? m[`${arch}.${key}`] : undefined);
  const template = typeof m["tokenizer.chat_template"] === "string" ? (m["tokenizer.chat_template"] as string) : undefined;
  const fileType = num(m["general.file_type"]);
  const pooling = num(k("pooling_type"));
  const facts: ModelFacts = {
    architecture: arch,
    name: typeof m["general.name"] === "string" ? (m["general.name"] as string) : undefined,
    parameters: parsed.parameterCount,
    contextLength: num(k("context_length")),
    layers: num(k("block_count")),
    embeddingLength: num(k("embedding_length")),
    headCount: num(k("attention.head_count")),
    headCountKv: num(k("attention.head_count_kv")) ?? num(k("attention.head_count")),
    hasChatTemplate: template !== undefined,
    chatTemplate: template,
    quant: fileType !== undefined ? GGMLFileQuantizationType[fileType] : undefined,
    poolingType: pooling,
  };
  facts.typeGuess = guessType(facts, m);
  facts.modalities = arch === "clip" ? modalitiesOfProjector(m) : ["text"];
  return facts;
}

function modalitiesOfProjector(m: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (m["clip.has_vision_encoder"] !== false) out.push("image");
  if (m["clip.has_audio_encoder"] === true) out.push("audio");
  return out;
}

/** What a header says the model is for. A projector ("clip") is part of a VLM, not a model alone. */
function guessType(f: ModelFacts, m: Record<string, unknown>): ModelType | undefined {
  if (!f.architecture) return undefined;
  if (f.architecture === "clip") return "vlm";
  if (/whisper/.test(f.architecture)) return "asr";
  if (f.poolingType === 4 || m[`${f.architecture}.classifier.output_labels`] !== undefined) return "reranker";
  if (f.poolingType !== undefined && f.poolingType > 0 && f.poolingType !== 4) return "embedder";
  if (/bert|nomic-bert|jina-bert/.test(f.architecture)) return "embedder";
  return "llm";
}

/**
 * Rough memory for running a model: weights + KV cache at a given context (f16 cache).
 * KV bytes = 2 (K and V) x layers x context x (embedding / heads x kv heads) x 2 bytes.
 */
export function estimateMemoryBytes(f: ModelFacts, weightsBytes: number, contextSize = 4096): number | undefined {
  if (!f.layers || !f.embeddingLength || !f.headCount) return undefined;
  const kvDim = (f.embeddingLength / f.headCount) * (f.headCountKv ?? f.headCount);
  const kv = 2 * f.layers * contextSize * kvDim * 2;
  return weightsBytes + kv;
}
