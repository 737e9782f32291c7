// The JSON shapes `hearth devices --json` and `hearth plan --json` print, built in one place so the
// server's /hearth/devices and /hearth/plan (the web app's machine and plan panels) say the same.
import type { DeviceKind, ModelFiles } from "../model/types.ts";
import { deviceKey } from "../devices/deviceKey.ts";
import type { MachineReport } from "./machine.ts";
import type { ModelPlan } from "./planModel.ts";
import { rememberedFailures } from "./fallbackStore.ts";

/** engine names whose own probe says they can use each device kind here */
function usableBy(m: MachineReport): Record<DeviceKind, string[]> {
  const out: Record<DeviceKind, string[]> = { cpu: [], gpu: [], npu: [] };
  for (const [name, probes] of Object.entries(m.backends)) {
    for (const p of probes) if (p.available && !out[p.device].includes(name)) out[p.device].push(name);
  }
  return out;
}

/** This machine's devices and the engines usable on each (`hearth devices --json`). */
export function devicesReport(m: MachineReport) {
  const by = usableBy(m);
  return {
    platform: m.platform,
    cpu: { ...m.cpu, deviceKey: deviceKey({ device: "cpu", cpu: m.cpu }), backends: by.cpu },
    memory: m.memory,
    gpus: m.gpus.map((g) => ({ ...g, deviceKey: deviceKey({ device: "gpu", api: g.apis[0], gpu: g }), backends: by.gpu })),
    gpuApis: m.gpuApis,
    npus: m.npus.map((n) => ({ ...n, deviceKey: deviceKey({ device: "npu", npu: n }), backends: by.npu })),
    backends: m.backends,
    probedAt: m.probedAt,
    cached: m.cached,
  };
}

/** A model's plan with its reasons, ranked alternatives and remembered failures (`hearth plan --json`). */
export function planReport(ref: string, files: ModelFiles, r: ModelPlan, home: string) {
  const { chosen: _chosen, ...rest } = r.plan;
  return {
    model: ref,
    files,
    facts: r.facts ? { ...r.facts, chatTemplate: undefined } : undefined,
    weightsBytes: r.weightsBytes,
    ...rest,
    remembered: rememberedFailures(home, r.modelKey),
  };
}
