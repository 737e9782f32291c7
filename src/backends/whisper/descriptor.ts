// What the whisper.cpp engine (@fugood/whisper.node) can do. Pure: no native code.
import type { BackendDescriptor } from "../types.ts";
import { recognizeWhisperGgml } from "./layout.ts";

export const descriptor: BackendDescriptor = {
  name: "whisper",
  // whisper.cpp loads its own legacy ggml binary format (ggml-*.bin)
  formats: ["ggml"],
  modelTypes: ["asr"],
  tasks: ["asr"],
  devices: ["cpu", "gpu"],
  recognize: recognizeWhisperGgml,
};
