// What this machine is, for reports and for keying measured profiles.
import { execFileSync } from "node:child_process";
import os from "node:os";
import type { DeviceKind } from "../model/types.ts";
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

let gpuCache: GpuInfo[] | undefined;

/** NVIDIA GPUs seen by nvidia-smi; none where it is absent. */
export function nvidiaGpus(): GpuInfo[] {
  if (gpuCache) return gpuCache;
  try {
    const out = execFileSync("nvidia-smi", ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"], {
      encoding: "utf8",
      timeout: 5000,
      stdio: ["ignore", "pipe", "ignore"],
    });
    gpuCache = out
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [name, mib, driver] = l.split(",").map((s) => s.trim());
        return { name, memoryBytes: Number(mib) * 1024 * 1024 || undefined, driver };
      });
  } catch {
    gpuCache = [];
  }
  return gpuCache;
}

/** This machine for a report: CPU facts from the devices layer, NVIDIA GPUs from nvidia-smi (cheap; no engine probes). */
export function describeMachine(): MachineInfo {
  const cpu = readCpuFacts();
  return {
    cpu: cpu.model ?? "unknown CPU",
    physicalCores: cpu.physicalCores,
    logicalCores: cpu.logicalCores,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    cpuFlags: cpu.simd,
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
    const apis = api ? [api] : (gpu?.apis ?? []);
    return apis.map((a) => deviceKey({ device: "gpu", api: a, gpu: { name: gpu?.name } }));
  }
  const npu = hw.npus[0];
  return [deviceKey({ device: "npu", npu: npu ?? { kind: "unknown", name: "unknown" } })];
}
