// What a model will take once loaded, known before it is: `hearth show` prints it and the server's
// scheduler budgets resident models with it. One estimate, so both say the same.
import { statSync } from "node:fs";
import type { ModelFiles } from "../model/types.ts";
import { estimateMemoryBytes, readGgufFacts, type ModelFacts } from "../formats/ggufFacts.ts";

function sizeOf(file: string): number {
  try {
    const s = statSync(file);
    return s.isFile() ? s.size : 0;
  } catch {
    return 0;
  }
}

/** Bytes on disk of a model: weights, shards, projector and the files that go with them. */
export function modelFilesBytes(files: ModelFiles): number {
  const paths = [files.primary, ...(files.shards ?? []), ...(files.mmproj ? [files.mmproj] : []), ...Object.values(files.extra ?? {})];
  return [...new Set(paths)].reduce((a, p) => a + sizeOf(p), 0);
}

/** GGUF weights (every shard and the projector) plus an f16 KV cache at `contextSize` tokens;
 * undefined when the model is not GGUF or its header lacks what the estimate needs. */
export function estimateGgufMemory(files: ModelFiles, facts: ModelFacts | undefined, contextSize = 4096): number | undefined {
  if (files.format !== "gguf" || !facts) return undefined;
  const weights = [files.primary, ...(files.shards ?? []), ...(files.mmproj ? [files.mmproj] : [])].reduce((a, p) => a + sizeOf(p), 0);
  return estimateMemoryBytes(facts, weights, contextSize);
}

/**
 * Bytes to budget for a model before loading it: the GGUF estimate at the context it will run
 * with (`contextSize`, default 4096, never more than the model was trained for), else the size of
 * its files.
 */
export async function estimateLoadedBytes(files: ModelFiles, contextSize?: number): Promise<number> {
  const facts = files.format === "gguf" ? await readGgufFacts(files.primary).catch(() => undefined) : undefined;
  const context = Math.min(contextSize ?? 4096, facts?.contextLength ?? 4096);
  return estimateGgufMemory(files, facts, context) ?? modelFilesBytes(files);
}
