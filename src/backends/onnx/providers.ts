// Moved to backends/ortProviders.ts, shared by the ONNX Runtime engines (onnx, diffusion).
export * from "../ortProviders.ts";
