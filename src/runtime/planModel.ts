// Gathers what the planner needs for one model (header facts, file sizes, this machine, measured
// profiles, remembered failures) and plans. Used by loadModel and `hearth plan`.
import { statSync } from "node:fs";
import type { DeviceKind, ModelFiles } from "../model/types.ts";
import type { LoadOptions } from "../backends/types.ts";
import type { TaskName } from "../model/task.ts";
import { listProfiles } from "../bench/profileStore.ts";
import { readGgufFacts, type ModelFacts } from "../formats/ggufFacts.ts";
import { enginesToPlan, plan } from "../planner/plan.ts";
import type { Plan } from "../planner/types.ts";
import { engineDescriptors } from "./engines.ts";
import { rememberedFailures } from "./fallbackStore.ts";
import { describeMachine, type MachineReport } from "./machine.ts";
import { cachedSha256 } from "../bench/fileHash.ts";

export interface PlanModelOptions {
  home: string;
  device?: DeviceKind | "auto";
  backend?: string;
  strict?: boolean;
  task?: TaskName;
  /** load settings the user set (they win over the planner's) */
  settings?: Partial<Omit<LoadOptions, "device">>;
  /** probe the machine again */
  refresh?: boolean;
}

export interface ModelPlan {
  plan: Plan;
  machine: MachineReport;
  facts?: ModelFacts;
  weightsBytes: number;
  /** what remembered fallbacks are keyed by */
  modelKey: string;
  sha256?: string;
}

function sizeOf(file: string | undefined): number {
  if (!file) return 0;
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Fallbacks are remembered per model file: its sha256 where the store knows it, else its path. */
export function modelKeyOf(files: Pick<ModelFiles, "primary" | "sha256">): string {
  return files.sha256 ?? files.primary;
}

export async function planModel(files: ModelFiles, options: PlanModelOptions): Promise<ModelPlan> {
  const all = await engineDescriptors();
  // hashing a plain file costs seconds per GB: only when a profile exists that it could match
  const stored = listProfiles(options.home);
  const sha256 = files.sha256 ?? (stored.length ? await cachedSha256(files.primary, options.home) : undefined);
  const profiles = sha256 ? stored.filter((s) => s.modelSha256 === sha256) : [];
  // the engines the planner can consider are the ones probed
  const matching = enginesToPlan(all, files, options.backend, new Set(profiles.map((p) => p.backend)));
  const machine = await describeMachine({ home: options.home, descriptors: matching, refresh: options.refresh });
  const facts = files.format === "gguf" ? await readGgufFacts(files.primary).catch(() => undefined) : undefined;
  // ONNX models of several files (OCR, diffusion pipelines with external data) name the others in extra
  const otherWeights = Object.values(files.extra ?? {}).filter((f) => /\.(onnx|onnx_data|onnx\.data)$|(^|\/)weights\.pb$/i.test(f));
  const weightsBytes = [...new Set([files.primary, ...(files.shards ?? []), ...otherWeights]), files.mmproj].reduce(
    (n, f) => n + sizeOf(f),
    0,
  );
  const modelKey = modelKeyOf(files);
  const p = plan({
    model: { format: files.format, type: files.type, primary: files.primary, sha256, facts, weightsBytes },
    machine,
    descriptors: all,
    profiles,
    remembered: rememberedFailures(options.home, modelKey),
    overrides: { device: options.device, backend: options.backend, strict: options.strict, settings: options.settings },
    task: options.task,
  });
  return { plan: p, machine, facts, weightsBytes, modelKey, sha256 };
}
