// Finds the files of a sherpa-onnx speech model from what a user gives (a folder as sherpa-onnx's
// releases ship them, or the .onnx file inside one), telling speech ONNX models apart with
// formats/speechOnnx.ts. No native code: the SDK and the CLI use this to choose.
import { existsSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ModelFiles } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { sherpaModelKind } from "../../formats/speechOnnx.ts";

/** "tts" or "diarize" for a path a user typed (file or folder); undefined when it is neither. */
export function detectSpeechModelType(ref: string): "tts" | "diarize" | undefined {
  try {
    const kinds = onnxFilesOf(ref).map(sherpaModelKind);
    if (kinds.includes("diarize-segmentation")) return "diarize";
    if (kinds.includes("tts")) return "tts";
  } catch {
    // not a readable path or ONNX file: not ours
  }
  return undefined;
}

function onnxFilesOf(ref: string): string[] {
  const p = path.resolve(ref === "~" || ref.startsWith("~/") ? path.join(os.homedir(), ref.slice(1)) : ref);
  if (!existsSync(p)) throw new HearthError("model_not_found", `no model at ${p}`, { hint: "check the path" });
  if (statSync(p).isDirectory()) {
    return readdirSync(p).filter((f) => /\.onnx$/i.test(f)).sort().map((f) => path.join(p, f));
  }
  if (!/\.onnx$/i.test(p)) throw new HearthError("bad_input", `${p} is not an .onnx file`, { hint: "give the model's folder or its .onnx file" });
  return [p];
}

function firstExisting(dir: string, names: string[]): string | undefined {
  return names.map((n) => path.join(dir, n)).find((f) => existsSync(f));
}

/**
 * The files of a text-to-speech model: the .onnx graph plus tokens.txt and, where the family
 * needs them, lexicon*.txt, voices.bin (Kokoro), espeak-ng-data/ (phonemizer data) and dict/ (jieba).
 */
export function ttsModelFiles(ref: string): ModelFiles {
  const candidates = onnxFilesOf(ref);
  const primary = candidates.find((f) => sherpaModelKind(f) === "tts");
  if (!primary) {
    throw new HearthError("unsupported_architecture", `no text-to-speech ONNX model at ${path.resolve(ref)}`, {
      hint: "give a sherpa-onnx TTS model (VITS, Piper or Kokoro) folder with model.onnx and tokens.txt",
    });
  }
  const dir = path.dirname(primary);
  const extra: Record<string, string> = {};
  const tokens = firstExisting(dir, ["tokens.txt"]);
  if (tokens) extra.tokens = tokens;
  const lexicons = readdirSync(dir).filter((f) => /^lexicon.*\.txt$/i.test(f)).sort().map((f) => path.join(dir, f));
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

/**
 * The files of a diarization pipeline: a speaker segmentation model (primary) and a speaker
 * embedding model (extra.embedding), from one folder holding both or from two paths.
 */
export function diarizeModelFiles(ref: string, embeddingRef?: string): ModelFiles {
  const files = onnxFilesOf(ref);
  const segmentation = files.find((f) => sherpaModelKind(f) === "diarize-segmentation");
  if (!segmentation) {
    throw new HearthError("unsupported_architecture", `no speaker segmentation ONNX model at ${path.resolve(ref)}`, {
      hint: "give a pyannote segmentation model exported for sherpa-onnx (its metadata has window_size and num_classes)",
    });
  }
  const embeddingCandidates = embeddingRef
    ? onnxFilesOf(embeddingRef)
    : statSync(path.resolve(ref)).isDirectory() ? files : onnxFilesOf(path.dirname(segmentation));
  const embedding = embeddingCandidates.find((f) => sherpaModelKind(f) === "speaker-embedding");
  if (!embedding) {
    throw new HearthError("bad_input", `no speaker embedding ONNX model ${embeddingRef ? `at ${path.resolve(embeddingRef)}` : `beside ${segmentation}`}`, {
      hint: "give one (a 3D-Speaker or WeSpeaker model exported for sherpa-onnx) with the embedding option",
    });
  }
  return { dir: path.dirname(segmentation), primary: segmentation, extra: { embedding }, format: "onnx", type: "diarize" };
}
