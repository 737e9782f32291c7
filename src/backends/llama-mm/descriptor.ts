// What the llama.cpp multimodal engine (@fugood/llama.node) can do. Pure data: no native code.
import type { BackendDescriptor } from "../types.ts";

export const descriptor: BackendDescriptor = {
  name: "llama-mm",
  formats: ["gguf"],
  // vision-language and audio-input chat models: a GGUF text model plus an mmproj projector
  modelTypes: ["vlm"],
  tasks: ["chat", "complete"],
  devices: ["cpu", "gpu"],
};
