// What the llama.cpp multimodal engine (@fugood/llama.node) can do. Pure: no native code.
import type { BackendDescriptor } from "../types.ts";
import { recognizeGgufWithProjector } from "./layout.ts";

export const descriptor: BackendDescriptor = {
  name: "llama-mm",
  formats: ["gguf"],
  // vision-language and audio-input chat models: a GGUF text model plus an mmproj projector
  modelTypes: ["vlm"],
  tasks: ["chat", "complete"],
  devices: ["cpu", "gpu"],
  // each llama.cpp binding carries its own llama.cpp and ggml: together in one process they crashed it
  inProcessConflicts: ["llama"],
  // measured 2026-11-25: vlm.test.ts with llama.node in the test process died at exit, after every
  // test had passed and both models were disposed, in 2 of 9 runs (V8 "Check failed:
  // node->IsInUse()" in the environment's cleanup, SIGTRAP; SIGSEGV); its tool calls crashed a
  // process before (backend index.ts)
  ownProcess: "llama.node crashed the processes it shared (at exit, after its models were disposed)",
  // llama.node 1.7.15 reads no logit_bias from a completion's options, and with ignore_eos its
  // completions still stopped on the end token (2026-12-05)
  noTokenBias: "llama.node reads no logit bias, and its ignore_eos let the end token through",
  recognize: recognizeGgufWithProjector,
};
