// CPU and RAM facts, read from the OS each time (cheap; RAM free changes).
import { readFileSync } from "node:fs";
import os from "node:os";
import { physicalCores } from "./cpuCores.ts";
import type { CpuFacts, MemoryFacts } from "./types.ts";

const SIMD_FLAGS = [
  "avx",
  "avx2",
  "avx512f",
  "avx512bw",
  "avx512vnni",
  "avx_vnni",
  "fma",
  "f16c",
  "amx_tile",
  "neon",
  "asimd",
  "sve",
  "sve2",
  "i8mm",
  "dotprod",
  "asimddp",
];

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** SIMD flags from /proc/cpuinfo "flags" (x86) or "Features" (ARM); undefined where not readable. */
export function simdFromCpuinfo(cpuinfo: string): string[] | undefined {
  const line = cpuinfo.split("\n").find((l) => /^(flags|Features)\s*:/.test(l));
  if (!line) return undefined;
  const have = new Set(line.split(":")[1].trim().split(/\s+/));
  // ARM64 Linux spells NEON "asimd"; report it under the name users know as well
  if (have.has("asimd")) have.add("neon");
  return SIMD_FLAGS.filter((f) => have.has(f));
}

export function readCpuFacts(): CpuFacts {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() || undefined;
  const info = readText("/proc/cpuinfo");
  let simd = info ? simdFromCpuinfo(info) : undefined;
  // Every arm64 CPU has NEON (Advanced SIMD is mandatory in ARMv8-A): a fact, not a guess
  if (!simd && process.arch === "arm64") simd = ["neon"];
  return {
    model: model && model !== "unknown" ? model : undefined,
    arch: process.arch,
    physicalCores: physicalCores(),
    logicalCores: os.availableParallelism(),
    simd: simd ?? [],
    simdKnown: simd !== undefined,
  };
}

export function readMemoryFacts(): MemoryFacts {
  const meminfo = readText("/proc/meminfo");
  const avail = meminfo?.match(/^MemAvailable:\s+(\d+) kB/m);
  return { totalBytes: os.totalmem(), freeBytes: avail ? Number(avail[1]) * 1024 : os.freemem() };
}
