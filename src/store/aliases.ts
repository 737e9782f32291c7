// Short names for well-known models: `hearth pull qwen3` means the repo below. One small table; a
// quant after the alias (`qwen3:q8_0`) overrides the default choice.
/** A short name for a well-known model repo. */
export interface Alias {
  name: string;
  /** org/repo on the Hugging Face hub */
  repo: string;
  description: string;
}

/** The aliases `LLM.load` and `hearth pull` accept (`qwen3`, `bge-small`...). */
export const ALIASES: Alias[] = [
  { name: "qwen3", repo: "Qwen/Qwen3-0.6B-GGUF", description: "Qwen3 0.6B chat with reasoning and tools" },
  { name: "qwen3-4b", repo: "Qwen/Qwen3-4B-GGUF", description: "Qwen3 4B chat with reasoning and tools" },
  { name: "qwen2.5", repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF", description: "Qwen2.5 0.5B instruct" },
  { name: "llama3.2", repo: "bartowski/Llama-3.2-1B-Instruct-GGUF", description: "Llama 3.2 1B instruct" },
  { name: "llama3.2-3b", repo: "bartowski/Llama-3.2-3B-Instruct-GGUF", description: "Llama 3.2 3B instruct" },
  { name: "gemma3", repo: "ggml-org/gemma-3-1b-it-GGUF", description: "Gemma 3 1B instruct" },
  { name: "gemma3-vision", repo: "ggml-org/gemma-3-4b-it-GGUF", description: "Gemma 3 4B with vision (mmproj)" },
  { name: "smollm2", repo: "HuggingFaceTB/SmolLM2-360M-Instruct-GGUF", description: "SmolLM2 360M instruct" },
  { name: "smolvlm", repo: "ggml-org/SmolVLM-256M-Instruct-GGUF", description: "SmolVLM 256M vision-language (mmproj)" },
  { name: "phi4-mini", repo: "unsloth/Phi-4-mini-instruct-GGUF", description: "Phi-4 mini instruct" },
  { name: "nomic-embed", repo: "nomic-ai/nomic-embed-text-v1.5-GGUF", description: "Nomic text embeddings v1.5" },
  { name: "bge-small", repo: "CompendiumLabs/bge-small-en-v1.5-gguf", description: "BGE small English embeddings" },
  { name: "bge-reranker", repo: "gpustack/bge-reranker-v2-m3-GGUF", description: "BGE reranker v2 m3" },
  { name: "whisper", repo: "ggerganov/whisper.cpp", description: "whisper.cpp models (ggml)" },
];

/** The alias of that name (case-insensitive), or undefined. */
export function findAlias(name: string): Alias | undefined {
  const n = name.toLowerCase();
  return ALIASES.find((a) => a.name === n);
}

/** Expands `alias[:QUANT]` to `org/repo[:QUANT]`; anything else comes back unchanged. */
export function expandAlias(ref: string): string {
  const colon = ref.indexOf(":");
  const head = colon === -1 ? ref : ref.slice(0, colon);
  const alias = findAlias(head);
  if (!alias) return ref;
  return colon === -1 ? alias.repo : `${alias.repo}${ref.slice(colon)}`;
}
