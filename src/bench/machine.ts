// What this machine is, for reports and for keying measured profiles.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import type { DeviceKind } from "../backends/types.ts";
import { physicalCores } from "../backends/cpuCores.ts";
import { homePaths } from "../config/env.ts";
import { deviceKey } from "../devices/deviceKey.ts";
import { readCpuFacts } from "../devices/cpu.ts";
import { discoverHardware } from "../devices/discover.ts";

export interface GpuInfo {
  name: string;
  memoryBytes?: number;
  driver?: string;
}

export interface MachineInfo {
  cpu: string;
  physicalCores: number;
  logicalCores: number;
  memoryBytes: number;
  os: string;
  arch: string;
  node: string;
  cpuFlags: string[];
  gpus: GpuInfo[];
}

function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() || "unknown CPU";
}

/** SIMD features that decide llama.cpp's speed on a CPU. */
function cpuFlags(): string[] {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
    const have = new Set((line?.split(":")[1] ?? "").trim().split(/\s+/));
    return ["avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"].filter((f) => have.has(f));
  } catch {
    return [];
  }
}

let gpuCache: GpuInfo[] | undefined;

/** NVIDIA GPUs seen by nvidia-smi; none where it is absent. */
export function nvidiaGpus(): GpuInfo[] {
  if (gpuCache) return gpuCache;
  try {
    const out = execFileSync("nvidia-smi", ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"], {
      encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"],
    });
    gpuCache = out.trim().split("\n").filter(Boolean).map((l) => {
      const [name, mib, driver] = l.split(",").map((s) => s.trim());
      return { name, memoryBytes: Number(mib) * 1024 * 1024 || undefined, driver };
    });
  } catch {
    gpuCache = [];
  }
  return gpuCache;
}

export function describeMachine(): MachineInfo {
  return {
    cpu: cpuModel(),
    physicalCores: physicalCores(),
    logicalCores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    cpuFlags: cpuFlags(),
    gpus: nvidiaGpus(),
  };
}

/** The device part of a profile's key for the CPU (the devices layer defines the format). */
export function cpuDeviceKey(): string {
  return deviceKey({ device: "cpu", cpu: readCpuFacts() });
}

/**
 * The keys a profile for this device may be stored under. A GPU's key names the API the engine
 * used (CUDA, Vulkan, ...), known only after a load; before one, every API the GPU answers to.
 */
export async function deviceKeys(device: DeviceKind, home: string, api?: string): Promise<string[]> {
  if (device === "cpu") return [cpuDeviceKey()];
  const hw = await discoverHardware({ stateDir: homePaths(home).state });
  if (device === "gpu") {
    const gpu = hw.gpus.find((g) => !api || g.apis.includes(api as never)) ?? hw.gpus[0];
    const apis = api ? [api] : gpu?.apis ?? [];
    return apis.map((a) => deviceKey({ device: "gpu", api: a, gpu: { name: gpu?.name } }));
  }
  const npu = hw.npus[0];
  return [deviceKey({ device: "npu", npu: npu ?? { kind: "unknown", name: "unknown" } })];
}
