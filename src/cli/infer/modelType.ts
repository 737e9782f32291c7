// What kind of model a reference names, so `infer` knows what to do with it. The store knows the
// type of what it pulled; for a bare GGUF path the header tells (pooling, classifier head, arch).
import type { ModelType } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readGgufFacts } from "../../formats/ggufFacts.ts";
import { detectSpeechModelType } from "../../backends/sherpa/modelFiles.ts";
import { looksLikePath, resolveModel } from "../../store/resolve.ts";

export async function modelTypeOf(ref: string, o: { mmproj?: string } = {}): Promise<ModelType> {
  if (o.mmproj) return "vlm";
  // whisper.cpp's ggml-*.bin models are neither GGUF nor ONNX; the ASR class opens them itself
  if (/\.bin$/i.test(ref)) return "asr";
  // sherpa-onnx speech models are folders (model.onnx, tokens.txt...) or ONNX files with speech metadata
  const speech = detectSpeechModelType(ref);
  if (speech) return speech;
  const files = await resolveModel(ref);
  // a pulled repo without a pipeline tag: its ONNX metadata still says text-to-speech or diarization
  if (files.format === "onnx" && files.type !== "tts" && files.type !== "diarize") {
    const stored = detectSpeechModelType(files.dir);
    if (stored) return stored;
  }
  if (files.format !== "gguf" || (!looksLikePath(ref) && files.type !== "llm")) return files.type;
  const guess = (await readGgufFacts(files.primary)).typeGuess ?? files.type;
  if (guess === "vlm" && !files.mmproj) {
    throw new HearthError("bad_input", `${ref} is a multimodal projector, not a model`, {
      hint: "give the language model and pass this file with --mmproj",
    });
  }
  return guess === "llm" && files.mmproj ? "vlm" : guess;
}
