// The key measured profiles are stored under (bench/profileStore.ts): a profile measured on one
// device must not be applied to another. CPU: model and physical cores (threads scale with them);
// GPU: API and name.
import type { CpuFacts, GpuApi, GpuFacts, NpuFacts } from "./types.ts";

export type DeviceKeyFacts =
  | { device: "cpu"; cpu: Pick<CpuFacts, "model" | "physicalCores"> }
  | { device: "gpu"; api: GpuApi | string; gpu: Pick<GpuFacts, "name"> }
  | { device: "npu"; npu: Pick<NpuFacts, "kind" | "name"> };

const clean = (s: string | undefined) => (s ?? "unknown").replace(/\s+/g, " ").trim();

/** "cpu:<model>:<physical cores>c", "gpu:<api>:<name>", "npu:<kind>:<name>" */
export function deviceKey(f: DeviceKeyFacts): string {
  if (f.device === "cpu") return `cpu:${clean(f.cpu.model)}:${f.cpu.physicalCores}c`;
  if (f.device === "gpu") return `gpu:${f.api}:${clean(f.gpu.name)}`;
  return `npu:${f.npu.kind}:${clean(f.npu.name)}`;
}
