// The benchmark matrix: every combination of the axes a user gave (models x backends x devices x
// threads x batch x context x flash attention x KV-cache type x GPU layers), as a list of cells.
import type { DeviceKind } from "../model/types.ts";
import type { LoadOptions } from "../backends/types.ts";

/** The axes; an absent or empty axis means "the engine's default" (one value, undefined). */
export interface MatrixAxes {
  models: string[];
  /** engine names; absent = let hearth choose */
  backends?: string[];
  devices?: DeviceKind[];
  threads?: number[];
  batchSizes?: number[];
  contextSizes?: number[];
  flashAttention?: boolean[];
  kvCacheTypes?: NonNullable<LoadOptions["kvCacheType"]>[];
  /** only meaningful on GPU cells; CPU cells ignore it */
  gpuLayers?: Array<number | "max">;
}

/** One cell: a model and the settings it is loaded with. */
export interface BenchCell {
  model: string;
  backend?: string;
  device: DeviceKind;
  threads?: number;
  batchSize?: number;
  contextSize?: number;
  flashAttention?: boolean;
  kvCacheType?: LoadOptions["kvCacheType"];
  gpuLayers?: number | "max";
  /** llama engine on the CPU: which llama.cpp binaries (LoadOptions.extra.llamaBuild); default as a user gets */
  llamaBuild?: "prebuilt" | "local";
}

function axis<T>(values: T[] | undefined): Array<T | undefined> {
  return values && values.length ? [...new Set(values)] : [undefined];
}

/** Cartesian product of the axes, in the order given, without duplicates. */
export function expandMatrix(axes: MatrixAxes): BenchCell[] {
  if (axes.models.length === 0) throw new RangeError("the matrix needs at least one model");
  const cells: BenchCell[] = [];
  const seen = new Set<string>();
  for (const model of [...new Set(axes.models)])
    for (const backend of axis(axes.backends))
      for (const device of axis(axes.devices))
        for (const threads of axis(axes.threads))
          for (const batchSize of axis(axes.batchSizes))
            for (const contextSize of axis(axes.contextSizes))
              for (const flashAttention of axis(axes.flashAttention))
                for (const kvCacheType of axis(axes.kvCacheTypes))
                  for (const gpuLayers of axis(axes.gpuLayers)) {
                    const dev = device ?? "cpu";
                    const cell: BenchCell = {
                      model,
                      backend,
                      device: dev,
                      threads,
                      batchSize,
                      contextSize,
                      flashAttention,
                      kvCacheType,
                      // GPU layers mean nothing on a CPU cell: collapse them so the cell is not repeated
                      gpuLayers: dev === "cpu" ? undefined : gpuLayers,
                    };
                    const key = cellKey(cell);
                    if (seen.has(key)) continue;
                    seen.add(key);
                    cells.push(cell);
                  }
  return cells;
}

/** A stable identity for a cell. */
export function cellKey(c: BenchCell): string {
  return JSON.stringify([
    c.model,
    c.backend,
    c.device,
    c.threads,
    c.batchSize,
    c.contextSize,
    c.flashAttention,
    c.kvCacheType,
    c.gpuLayers,
    c.llamaBuild,
  ]);
}

/** A short human label: only the settings that vary across the matrix, plus the model's file name. */
export function cellLabel(c: BenchCell, all: BenchCell[] = [c]): string {
  const varies = (k: keyof BenchCell) => all.length === 1 || new Set(all.map((x) => String(x[k]))).size > 1;
  const parts: string[] = [];
  if (varies("model") || all.length === 1) parts.push(c.model.split("/").pop() ?? c.model);
  if (c.backend && varies("backend")) parts.push(c.backend);
  if (varies("device")) parts.push(c.device);
  if (c.threads !== undefined && varies("threads")) parts.push(`t${c.threads}`);
  if (c.batchSize !== undefined && varies("batchSize")) parts.push(`b${c.batchSize}`);
  if (c.contextSize !== undefined && varies("contextSize")) parts.push(`ctx${c.contextSize}`);
  if (c.flashAttention !== undefined && varies("flashAttention")) parts.push(c.flashAttention ? "fa" : "no-fa");
  if (c.kvCacheType !== undefined && varies("kvCacheType")) parts.push(`kv:${c.kvCacheType}`);
  if (c.gpuLayers !== undefined && varies("gpuLayers")) parts.push(`ngl${c.gpuLayers}`);
  if (c.llamaBuild !== undefined && varies("llamaBuild")) parts.push(c.llamaBuild);
  return parts.join(" ");
}

/**
 * Quant variants as models: `org/repo` with quants Q8_0,Q4_K_M gives `org/repo:Q8_0`, `org/repo:Q4_K_M`.
 * A path or a name that already names a quant is kept as it is.
 */
export function withQuants(models: string[], quants: string[]): string[] {
  if (quants.length === 0) return models;
  return models.flatMap((m) => (isStoreName(m) && !m.slice(m.indexOf("/")).includes(":") ? quants.map((q) => `${m}:${q}`) : [m]));
}

/** `org/repo[:QUANT]`, not a path */
export function isStoreName(ref: string): boolean {
  return !/^[./~]/.test(ref) && !/\.(gguf|onnx|bin)$/i.test(ref) && ref.includes("/");
}

/** Parses a repeatable, comma-separated option into a list ("1,2" "4" -> ["1","2","4"]). */
export function splitList(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}
