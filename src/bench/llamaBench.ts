// Side-by-side with llama.cpp's own llama-bench: runs it on the same cells (same model file,
// prompt and generation lengths, threads, batch, flash attention, KV-cache type, GPU layers) and
// gives our/their ratios. scripts/build-llama-bench.sh builds the binary from the llama.cpp
// revision node-llama-cpp ships, into .cache/llama.cpp/build/bin/llama-bench.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HearthError } from "../errors/HearthError.ts";
import type { BenchSettings, CellResult, LlamaBenchComparison } from "./types.ts";
import { oneLine } from "./measureCell.ts";

export const DEFAULT_LLAMA_BENCH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../.cache/llama.cpp/build/bin/llama-bench",
);

/** The same llama-bench linked against node-llama-cpp's prebuilt libraries (build-llama-bench.sh, Linux). */
export const PREBUILT_LLAMA_BENCH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../.cache/llama.cpp/build-prebuilt/llama-bench",
);

/** The binary to use: the given path, else the project's build; an error saying how to get one. */
export function findLlamaBench(given?: string): string {
  const p = given ? path.resolve(given) : DEFAULT_LLAMA_BENCH;
  if (!existsSync(p)) {
    throw new HearthError("bad_input", `no llama-bench at ${p}`, {
      hint: given
        ? "give the path of a llama-bench binary"
        : "build it with: bash scripts/build-llama-bench.sh (about 8 minutes on 2 cores)",
    });
  }
  return p;
}

/** llama-bench's arguments for one of our cells. */
export function llamaBenchArgs(
  modelPath: string,
  cell: CellResult["cell"],
  settings: Pick<BenchSettings, "promptTokens" | "genTokens" | "reps">,
): string[] {
  const a = [
    "-m",
    modelPath,
    "-p",
    String(settings.promptTokens),
    "-n",
    String(settings.genTokens),
    "-r",
    String(Math.max(1, settings.reps)),
    "-o",
    "json",
  ];
  if (cell.threads !== undefined) a.push("-t", String(cell.threads));
  if (cell.batchSize !== undefined) a.push("-b", String(cell.batchSize));
  if (cell.flashAttention !== undefined) a.push("-fa", cell.flashAttention ? "on" : "off");
  if (cell.kvCacheType !== undefined) a.push("-ctk", cell.kvCacheType, "-ctv", cell.kvCacheType);
  a.push("-ngl", cell.device === "cpu" ? "0" : cell.gpuLayers === undefined || cell.gpuLayers === "max" ? "999" : String(cell.gpuLayers));
  return a;
}

interface LlamaBenchRow {
  n_prompt: number;
  n_gen: number;
  avg_ts: number;
  samples_ts?: number[];
}

/** Median tokens/s of the prompt test and the generation test in llama-bench's JSON output. */
export function parseLlamaBench(json: string): { prefillTokensPerSec?: number; decodeTokensPerSec?: number } {
  const rows = JSON.parse(json) as LlamaBenchRow[];
  const med = (r?: LlamaBenchRow) => {
    if (!r) return undefined;
    const s = [...(r.samples_ts ?? [r.avg_ts])].sort((x, y) => x - y);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return {
    prefillTokensPerSec: med(rows.find((r) => r.n_prompt > 0 && r.n_gen === 0)),
    decodeTokensPerSec: med(rows.find((r) => r.n_gen > 0 && r.n_prompt === 0)),
  };
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 16 << 20, timeout: 30 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`llama-bench failed: ${(stderr || err.message).trim().split("\n").pop()}`));
      else resolve(stdout);
    });
  });
}

/** Runs llama-bench on every text-generation cell with a GGUF model path and compares. */
export async function compareWithLlamaBench(
  bin: string,
  cells: CellResult[],
  settings: BenchSettings,
  onCell: (label: string) => void = () => {},
): Promise<LlamaBenchComparison[]> {
  const out: LlamaBenchComparison[] = [];
  for (const c of cells) {
    if (c.task !== "generate" || !/\.gguf$/i.test(c.cell.model)) continue;
    onCell(c.label);
    const ours = { prefillTokensPerSec: c.prefillTokensPerSec?.median, decodeTokensPerSec: c.decodeTokensPerSec?.median };
    try {
      // the prompt length our engine really counted, so both sides prefill the same number of tokens
      const s = { ...settings, promptTokens: Math.round(c.promptTokens ?? settings.promptTokens) };
      const theirs = parseLlamaBench(await run(bin, llamaBenchArgs(path.resolve(c.cell.model), c.cell, s)));
      out.push({
        label: c.label,
        ours,
        theirs,
        prefillRatio:
          ours.prefillTokensPerSec && theirs.prefillTokensPerSec ? ours.prefillTokensPerSec / theirs.prefillTokensPerSec : undefined,
        decodeRatio: ours.decodeTokensPerSec && theirs.decodeTokensPerSec ? ours.decodeTokensPerSec / theirs.decodeTokensPerSec : undefined,
      });
    } catch (e) {
      out.push({ label: c.label, ours, theirs: {}, error: oneLine(e) });
    }
  }
  return out;
}
