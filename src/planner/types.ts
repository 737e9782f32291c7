// The planner's boundary types. The planner is pure: everything it knows arrives in PlanInput
// (model facts, machine facts, engine descriptors, measured profiles, remembered failures), so
// tests can plan for machines this one is not.
import type { BackendDescriptor, DeviceProbe, LoadOptions } from "../backends/types.ts";
import type { DeviceKind, ModelFormat, ModelType } from "../model/types.ts";
import type { TaskName } from "../model/task.ts";
import type { ModelFacts } from "../formats/ggufFacts.ts";
import type { StoredProfile } from "../bench/profileStore.ts";
import type { CpuFacts, GpuApiProbe, GpuFacts, MemoryFacts, NpuFacts } from "../devices/types.ts";

export interface PlanModel {
  format: ModelFormat;
  type: ModelType;
  primary: string;
  sha256?: string;
  /** header facts (GGUF); undefined for formats without them */
  facts?: ModelFacts;
  /** bytes of all weight files (shards and projector included) */
  weightsBytes: number;
}

export interface PlanMachine {
  cpu: Pick<CpuFacts, "model" | "physicalCores" | "logicalCores">;
  memory: MemoryFacts;
  gpus: GpuFacts[];
  gpuApis: GpuApiProbe[];
  npus: NpuFacts[];
  /** each engine's own probe (run in a child process): engine name -> what it can use here; absent = not probed */
  backends: Record<string, DeviceProbe[]>;
}

/** A device failure remembered from an earlier run (runtime/fallbackStore.ts). */
export interface RememberedFailure {
  backend: string;
  device: DeviceKind;
  reason: string;
  at: string;
}

export interface PlanOverrides {
  /** "auto" or undefined: hearth chooses */
  device?: DeviceKind | "auto";
  backend?: string;
  /** no fallback: the chain is the chosen entry alone */
  strict?: boolean;
  /** load settings the user set; they win over the planner's on every candidate */
  settings?: Partial<Omit<LoadOptions, "device">>;
}

export interface PlanInput {
  model: PlanModel;
  machine: PlanMachine;
  /** engines in preference order (the registry's order) */
  descriptors: BackendDescriptor[];
  /** measured profiles for this model (any device); matched by deviceKey and backend */
  profiles?: StoredProfile[];
  remembered?: RememberedFailure[];
  overrides?: PlanOverrides;
  task?: TaskName;
}

/** How the model fits the device's memory ("none": it does not; "unknown": memory unknown or no such device). */
export type Fit = "full" | "partial" | "unknown" | "none";

export interface PlanCandidate {
  backend: string;
  device: DeviceKind;
  /** "cpu", "cuda", "vulkan", "metal", an ONNX execution provider... */
  api: string;
  /** the device's name where known ("AMD EPYC 7B13", "NVIDIA H100 80GB HBM3") */
  deviceName?: string;
  /** profile key for this device (devices/deviceKey.ts) */
  deviceKey: string;
  /** what to load with */
  options: LoadOptions;
  fit: Fit;
  /** whether hearth believes this can load here (false: kept only when forced, to let the real load decide) */
  usable: boolean;
  /** a measured profile supplied the settings and the rank */
  measured: boolean;
  /** decode speed to expect (a measured profile), for the latency-anomaly rule */
  expectedDecodeTokensPerSec?: number;
  /** bigger ranks first */
  score: number;
  reasons: string[];
}

export interface Plan {
  backend: string;
  device: DeviceKind;
  gpuLayers?: LoadOptions["gpuLayers"];
  threads?: number;
  contextSize?: number;
  batchSize?: number;
  kvCacheType?: LoadOptions["kvCacheType"];
  /** why the first choice, one fact per line */
  reasons: string[];
  chosen: PlanCandidate;
  /** every candidate, best first (the chosen one included) */
  alternatives: PlanCandidate[];
  /** what loads are tried, in order (GPU -> CPU, NPU -> GPU -> CPU); just the chosen one when strict */
  fallbackChain: PlanCandidate[];
  strict: boolean;
}
