// Physical core count: the default compute thread count (more threads than cores is ruinous for
// llama.cpp: see DESIGN.md). Reads /proc/cpuinfo on Linux; elsewhere falls back to the logical count.
import { readFileSync } from "node:fs";
import os from "node:os";

let cached: number | undefined;

export function physicalCores(): number {
  if (cached) return cached;
  let n = 0;
  try {
    const cores = new Set<string>();
    let phys = "0";
    for (const line of readFileSync("/proc/cpuinfo", "utf8").split("\n")) {
      const [k, v] = line.split(":").map((s) => s?.trim());
      if (k === "physical id") phys = v;
      if (k === "core id") cores.add(`${phys}:${v}`);
    }
    n = cores.size;
  } catch {
    // not Linux
  }
  cached = n || os.availableParallelism();
  return cached;
}
