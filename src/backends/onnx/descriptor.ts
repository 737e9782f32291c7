// What the ONNX Runtime engine (onnxruntime-node) can do. Pure: no native code.
import type { BackendDescriptor } from "../types.ts";
import { recognizeOnnx } from "./layout.ts";

export const descriptor: BackendDescriptor = {
  name: "onnx",
  formats: ["onnx"],
  // computer vision first: PaddleOCR pipelines and YOLO-family detectors
  modelTypes: ["cv"],
  tasks: ["ocr", "detect"],
  // NPUs through QNN / CoreML / OpenVINO / VitisAI, GPUs through CUDA / DirectML / WebGPU
  devices: ["cpu", "gpu", "npu"],
  recognize: recognizeOnnx,
};
