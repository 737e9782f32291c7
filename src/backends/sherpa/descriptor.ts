// What the sherpa-onnx engine (sherpa-onnx-node) runs here: speech synthesis (VITS, Kokoro), speaker
// diarization (pyannote segmentation + speaker embeddings). Pure: no native code.
import type { BackendDescriptor } from "../types.ts";
import { recognizeSherpa } from "./layout.ts";

export const descriptor: BackendDescriptor = {
  name: "sherpa",
  formats: ["onnx"],
  modelTypes: ["tts", "diarize"],
  tasks: ["tts", "diarize"],
  // the npm build of sherpa-onnx links onnxruntime's CPU provider only
  devices: ["cpu"],
  recognize: recognizeSherpa,
};
