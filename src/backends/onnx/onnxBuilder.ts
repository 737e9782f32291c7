// Moved to backends/onnxBuilder.ts, shared by the ONNX Runtime engines and the fixtures.
export * from "../onnxBuilder.ts";
