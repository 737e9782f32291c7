// What the diffusion engine (Stable Diffusion pipelines on onnxruntime-node) can do. Pure data and a
// layout check: no native code.
import type { BackendDescriptor } from "../types.ts";
import { diffusersFiles } from "../../formats/diffusersLayout.ts";

export const descriptor: BackendDescriptor = {
  name: "diffusion",
  formats: ["onnx"],
  modelTypes: ["image_gen"],
  tasks: ["image"],
  // each part on the first ONNX Runtime execution provider that initialises: NPU, GPU, then CPU
  devices: ["cpu", "gpu", "npu"],
  // a folder in diffusers' ONNX layout (model_index.json beside text_encoder/, unet/, vae_decoder/...)
  recognize: async (target) => diffusersFiles(target),
};
