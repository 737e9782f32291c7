// Whether an embedding model may be asked for fewer dimensions (`dimensions` in /v1/embeddings).
// Only models trained with Matryoshka representation learning keep their meaning when truncated;
// GGUF headers do not say so, so it is decided by architecture, for the families trained that way.
import type { ModelFiles } from "../model/types.ts";
import { readGgufFacts } from "../formats/ggufFacts.ts";

// Qwen3-Embedding (qwen3), EmbeddingGemma (gemma-embedding), nomic-embed v1.5 / v2 (nomic-bert, nomic-bert-moe),
// jina-embeddings-v3 (jina-bert-v3)
const MATRYOSHKA_ARCHITECTURES = new Set(["qwen3", "gemma-embedding", "nomic-bert", "nomic-bert-moe", "jina-bert-v3"]);

const cache = new Map<string, { architecture?: string; dimensions?: number }>();

export async function embeddingFacts(files: ModelFiles): Promise<{ architecture?: string; dimensions?: number; truncatable: boolean }> {
  let f = cache.get(files.primary);
  if (!f) {
    f = { architecture: undefined, dimensions: undefined };
    if (files.format === "gguf") {
      try {
        const facts = await readGgufFacts(files.primary);
        f = { architecture: facts.architecture, dimensions: facts.embeddingLength };
      } catch {
        // unreadable header: no truncation
      }
    }
    cache.set(files.primary, f);
  }
  return { ...f, truncatable: f.architecture !== undefined && MATRYOSHKA_ARCHITECTURES.has(f.architecture) };
}

/** Keeps the first `dims` values and scales back to unit length (the Matryoshka recipe). */
export function truncateAndNormalize(v: number[], dims: number): number[] {
  const head = v.slice(0, dims);
  const norm = Math.hypot(...head);
  return norm > 0 ? head.map((x) => x / norm) : head;
}
