// What the sherpa-onnx engine (sherpa-onnx-node) runs here: speech synthesis (VITS, Kokoro), speaker
// diarization (pyannote segmentation + speaker embeddings) and speech recognition (NeMo CTC). Pure:
// no native code.
import type { BackendDescriptor } from "../types.ts";
import { recognizeSherpa } from "./layout.ts";

export const descriptor: BackendDescriptor = {
  name: "sherpa",
  formats: ["onnx"],
  modelTypes: ["tts", "diarize", "asr"],
  tasks: ["tts", "diarize", "asr"],
  // the npm build of sherpa-onnx links onnxruntime's CPU provider only
  devices: ["cpu"],
  recognize: recognizeSherpa,
};
