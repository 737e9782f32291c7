// Facts about this machine's hardware. A fact that could not be read is `undefined` (printed as
// "unknown"), never a guess. Device kinds match backends/types.ts DeviceKind.

export interface CpuFacts {
  /** e.g. "AMD EPYC 7B13"; undefined when the OS does not say */
  model?: string;
  arch: string;
  physicalCores: number;
  logicalCores: number;
  /** SIMD features the planner and engines care about: "avx", "avx2", "avx512f", "fma", "f16c", "neon", "sve", "amx" */
  simd: string[];
  /** SIMD features could not be read (non-Linux x86): `simd` is then empty, not "none" */
  simdKnown: boolean;
}

export interface MemoryFacts {
  totalBytes: number;
  /** available for new allocations (MemAvailable on Linux, os.freemem elsewhere) */
  freeBytes: number;
}

export type GpuApi = "cuda" | "vulkan" | "metal";

export interface GpuFacts {
  /** position in the API's device list */
  index: number;
  /** "nvidia" | "amd" | "intel" | "apple" | undefined */
  vendor?: string;
  name?: string;
  /** APIs that really loaded a compute build for this GPU (node-llama-cpp probe in a child process) */
  apis: GpuApi[];
  memoryTotalBytes?: number;
  memoryFreeBytes?: number;
  /** true when the GPU shares system RAM (Apple silicon, most iGPUs) */
  unifiedMemory?: boolean;
  /** kernel driver name and version where readable, e.g. "nvidia 550.54.14" */
  driver?: string;
  /** PCI address where the OS lists it (a GPU seen on the bus even when no compute API loads) */
  pciAddress?: string;
}

/** One GPU compute API as probed: did a build load, and why not. */
export interface GpuApiProbe {
  api: GpuApi;
  available: boolean;
  reason?: string;
  /** device names this API reported */
  devices?: string[];
  memoryTotalBytes?: number;
  memoryFreeBytes?: number;
  unifiedMemoryBytes?: number;
}

export interface NpuFacts {
  /** "apple-ane" | "intel-npu" | "amd-xdna" | "qualcomm-hexagon" | "unknown" */
  kind: string;
  name: string;
  /** where the OS shows it: a device node, a sysfs path, or "platform" for Apple silicon */
  source: string;
  driver?: string;
}

export interface HardwareFacts {
  platform: NodeJS.Platform;
  cpu: CpuFacts;
  memory: MemoryFacts;
  gpus: GpuFacts[];
  gpuApis: GpuApiProbe[];
  npus: NpuFacts[];
  /** ISO time of the GPU probe (cached; memory is re-read every time) */
  probedAt: string;
}
