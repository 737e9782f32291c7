// How sherpa-onnx's speech models lie on disk, as its releases ship them: a folder (or the .onnx file
// inside one) told apart by the ONNX metadata (modelKind.ts). Text-to-speech: the model plus
// tokens.txt and the family's side files; diarization: a speaker segmentation model and a speaker
// embedding model; speech recognition (NeMo CTC): model.onnx plus tokens.txt. Pure: no native code.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../../model/types.ts";
import type { RecognizeHint } from "../types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { sherpaModelKind, type SherpaModelKind } from "./modelKind.ts";

/** The descriptor's recognize(): this engine's files at an existing path, or undefined. */
export async function recognizeSherpa(target: string, hint: RecognizeHint = {}): Promise<ModelFiles | undefined> {
  const kinds = onnxFilesOf(target).map((f) => ({ f, kind: safeKind(f) }));
  const first = (k: SherpaModelKind) => kinds.find((x) => x.kind === k)?.f;
  const segmentation = first("diarize-segmentation");
  if (segmentation) return diarizeFiles(segmentation, hint.side?.embedding);
  const tts = first("tts");
  if (tts) return ttsFiles(tts);
  const ctc = first("asr-nemo-ctc");
  if (ctc) return asrFiles(ctc);
  const embedding = first("speaker-embedding");
  if (embedding) {
    // half of a diarization pipeline: say which half is missing rather than let another engine try it
    throw new HearthError("unsupported_architecture", `${embedding} is a speaker embedding model, not a speaker segmentation model`, {
      hint: "give the segmentation model (or the folder with both), and this one with the embedding option",
    });
  }
  return undefined;
}

function safeKind(file: string): SherpaModelKind | undefined {
  try {
    return sherpaModelKind(file);
  } catch {
    return undefined; // not an ONNX file this reader understands: not ours
  }
}

function onnxFilesOf(p: string): string[] {
  if (!existsSync(p)) return [];
  if (statSync(p).isDirectory())
    return readdirSync(p)
      .filter((f) => /\.onnx$/i.test(f))
      .sort()
      .map((f) => path.join(p, f));
  return /\.onnx$/i.test(p) ? [p] : [];
}

function firstExisting(dir: string, names: string[]): string | undefined {
  return names.map((n) => path.join(dir, n)).find((f) => existsSync(f));
}

/**
 * Text to speech: the .onnx graph plus tokens.txt and, where the family needs them, lexicon*.txt,
 * voices.bin (Kokoro), espeak-ng-data/ (phonemizer data) and dict/ (jieba).
 */
function ttsFiles(primary: string): ModelFiles {
  const dir = path.dirname(primary);
  const extra: Record<string, string> = {};
  const tokens = firstExisting(dir, ["tokens.txt"]);
  if (tokens) extra.tokens = tokens;
  const lexicons = readdirSync(dir)
    .filter((f) => /^lexicon.*\.txt$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  if (lexicons.length) extra.lexicon = lexicons.join(",");
  const voices = firstExisting(dir, ["voices.bin"]);
  if (voices) extra.voices = voices;
  const dataDir = firstExisting(dir, ["espeak-ng-data"]);
  if (dataDir) extra.dataDir = dataDir;
  // jieba dictionaries of Chinese models (MeloTTS, Kokoro multi-lingual)
  const dictDir = firstExisting(dir, ["dict"]);
  if (dictDir) extra.dictDir = dictDir;
  return { dir, primary, extra, format: "onnx", type: "tts" };
}

/** Diarization: the segmentation model (primary) and a speaker embedding model (extra.embedding),
 * from one folder holding both, from beside the segmentation file, or from the path the caller names. */
function diarizeFiles(segmentation: string, embeddingRef: string | undefined): ModelFiles {
  const candidates = embeddingRef ? onnxFilesOf(embeddingRef) : onnxFilesOf(path.dirname(segmentation));
  const embedding = candidates.find((f) => safeKind(f) === "speaker-embedding");
  if (!embedding) {
    const where = embeddingRef ? `at ${embeddingRef}` : `beside ${segmentation}`;
    throw new HearthError("bad_input", `no speaker embedding ONNX model ${where}`, {
      hint: "give one (a 3D-Speaker or WeSpeaker model exported for sherpa-onnx) with the embedding option",
    });
  }
  return { dir: path.dirname(segmentation), primary: segmentation, extra: { embedding }, format: "onnx", type: "diarize" };
}

/** Speech recognition, NeMo CTC: model.onnx plus tokens.txt (sherpa-onnx's release layout). */
function asrFiles(primary: string): ModelFiles {
  const tokens = firstExisting(path.dirname(primary), ["tokens.txt"]);
  return { dir: path.dirname(primary), primary, extra: tokens ? { tokens } : undefined, format: "onnx", type: "asr" };
}
