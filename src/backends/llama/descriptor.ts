// What the llama.cpp text engine (node-llama-cpp) can do. Pure: no native code.
import type { BackendDescriptor } from "../types.ts";
import { recognizeGguf } from "./layout.ts";

export const descriptor: BackendDescriptor = {
  name: "llama",
  formats: ["gguf"],
  modelTypes: ["llm", "embedder", "reranker"],
  tasks: ["chat", "complete", "embed", "rerank"],
  devices: ["cpu", "gpu"],
  // each llama.cpp binding carries its own llama.cpp and ggml: together in one process they crashed it
  inProcessConflicts: ["llama-mm"],
  // node-llama-cpp's gpuLayers "auto" fits the offload with GgufInsights (key length, sliding-window
  // attention, per-layer KV heads), which the planner's estimate ignores
  sizesGpuOffload: true,
  // one libuv pool thread in its runner: node-llama-cpp runs each decode and sampling step as an
  // async job on libuv's pool, and with four pool threads successive steps land on different
  // threads, each of which (with OpenMP) keeps a worker team of its own spinning beside the one
  // computing; on the prebuilt too, one stream and four decoded faster (docs/benchmarks.md)
  runnerEnv: { UV_THREADPOOL_SIZE: "1" },
  recognize: recognizeGguf,
};
