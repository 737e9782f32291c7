// Which quant to fetch: the one asked for (case-insensitive), else Q4_K_M > Q4_0 > Q8_0, else the
// smallest that fits this machine's memory. And the check that refuses a quant the machine cannot
// hold, made from the remote GGUF header before any weights are fetched.
import os from "node:os";
import type { ModelFacts } from "../formats/ggufFacts.ts";
import { estimateMemoryBytes } from "../formats/ggufFacts.ts";
import { HearthError } from "../errors/HearthError.ts";
import { readEnv } from "../config/env.ts";
import type { RemoteQuant } from "./layout.ts";

export const QUANT_PREFERENCE = ["Q4_K_M", "Q4_0", "Q8_0"];

/**
 * Memory the machine has for a model. HEARTH_TEST_MEMORY_BYTES (test-only) replaces os.totalmem() so
 * the refusal can be tested with small fixtures.
 */
export function machineMemoryBytes(): number {
  return readEnv().test.memoryBytes ?? os.totalmem();
}

/** Estimated bytes to run a quant at a 4096-token context (weights + KV cache). */
export function estimateQuantMemory(q: RemoteQuant, facts?: ModelFacts): number {
  return (facts && estimateMemoryBytes(facts, q.size, 4096)) ?? Math.round(q.size * 1.1);
}

export function chooseQuant(
  quants: RemoteQuant[],
  requested: string | undefined,
  repo: string,
  memory = machineMemoryBytes(),
): RemoteQuant {
  if (quants.length === 0) {
    throw new HearthError("model_not_found", `${repo} has no model weights hearth can use (GGUF, ONNX or ggml)`, {
      hint: "pick a repository with .gguf files, e.g. one whose name ends in -GGUF",
    });
  }
  if (requested) {
    const q = quants.find((x) => x.name.toUpperCase() === requested.toUpperCase());
    if (!q) {
      throw new HearthError("quant_not_found", `${repo} has no quant "${requested}"; it has ${quants.map((x) => x.name).join(", ")}`, {
        hint: `run: hearth pull ${repo} --list-quants`,
      });
    }
    return q;
  }
  if (quants.length === 1) return quants[0];
  for (const name of QUANT_PREFERENCE) {
    const q = quants.find((x) => x.name === name);
    if (q) return q;
  }
  const fits = quants.filter((q) => estimateQuantMemory(q) <= memory).sort((a, b) => a.size - b.size);
  return fits[0] ?? [...quants].sort((a, b) => a.size - b.size)[0];
}

/** Throws insufficient_memory when the quant will not fit (unless forced). */
export function checkFitsMemory(q: RemoteQuant, facts: ModelFacts | undefined, repo: string, memory = machineMemoryBytes()): void {
  const need = estimateQuantMemory(q, facts);
  if (need > memory) {
    // MB below a gigabyte: a small model's need read "0.0 GB"
    const gb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(1)} MB`);
    throw new HearthError(
      "insufficient_memory",
      `${repo}:${q.name} needs about ${gb(need)} of memory at a 4096-token context; this machine has ${gb(memory)}`,
      {
        hint: "choose a smaller quant (--list-quants) or pass --force to fetch it anyway",
      },
    );
  }
}
