// Tells sherpa-onnx's speech ONNX models apart by the metadata_props their exporters write. Pure
// (no native code): the engine's descriptor recognises its layouts with it.
import { readOnnxMetadata } from "../../formats/onnxMetadata.ts";

export type SherpaModelKind = "tts" | "diarize-segmentation" | "speaker-embedding" | "asr-nemo-ctc";

/** NeMo CTC exports (sherpa-onnx's scripts/nemo) name their class in model_type. */
const NEMO_CTC = /^EncDecCTCModel(BPE)?$/;

/** What an ONNX file is, from its metadata; undefined when it is none of sherpa-onnx's speech models. */
export function sherpaModelKind(file: string): SherpaModelKind | undefined {
  const m = readOnnxMetadata(file);
  if (m.window_size !== undefined && m.num_classes !== undefined) return "diarize-segmentation";
  if (m.framework !== undefined && m.output_dim !== undefined) return "speaker-embedding";
  // VITS (piper, coqui, icefall, MeloTTS) write n_speakers; Kokoro and Kitten write model_type
  if (m.n_speakers !== undefined || /^(vits|kokoro|kitten|matcha)/i.test(m.model_type ?? "")) {
    return "tts";
  }
  if (NEMO_CTC.test(m.model_type ?? "") && m.vocab_size !== undefined) return "asr-nemo-ctc";
  return undefined;
}
