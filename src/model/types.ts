// The model and device vocabulary every layer shares. It sits at the bottom of the stack and imports
// nothing of hearth's.

/** Model file formats hearth names. */
// ggml: whisper.cpp's legacy binary format; mlx, nexa and safetensors: formats hearth names (to say so
// before a download) but engines may not run
export type ModelFormat = "gguf" | "onnx" | "mlx" | "nexa" | "ggml" | "safetensors";
/** What a model does. */
export type ModelType = "llm" | "vlm" | "embedder" | "reranker" | "asr" | "tts" | "cv" | "image_gen" | "diarize";
/** Kinds of device a model can run on. */
export type DeviceKind = "cpu" | "gpu" | "npu";

/** The files of one model on disk (from the store, or a plain path). */
export interface ModelFiles {
  /** folder holding the files */
  dir: string;
  /** main weights: first shard of a split GGUF, or the .onnx file */
  primary: string;
  /** further shards of a split GGUF, in order */
  shards?: string[];
  /** multimodal projector (GGUF) */
  mmproj?: string;
  /** tokenizer.json, config.json, vocab, dictionaries...: name -> absolute path */
  extra?: Record<string, string>;
  format: ModelFormat;
  type: ModelType;
  /** sha256 of the primary file where known (keys measured profiles) */
  sha256?: string;
}
