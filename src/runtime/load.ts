// Loads a model for the layers above (SDK, server): plans where it runs (planner), loads it on the
// first device of the plan's fallback chain that works, isolated in a runner process when asked
// (the server always asks), and keeps it running when a device fails (runtime/managedModel.ts).
import path from "node:path";
import type { LoadedModel, LoadOptions } from "../backends/types.ts";
import type { ModelFiles, DeviceKind } from "../model/types.ts";
import type { TaskName } from "../model/task.ts";
import { readEnv } from "../config/env.ts";
import { ManagedModel } from "./managedModel.ts";
import { planModel } from "./planModel.ts";

export interface RuntimeLoadOptions extends Partial<Omit<LoadOptions, "device">> {
  /** force an engine by name */
  backend?: string;
  /** a device, or "auto" / undefined to let the planner choose */
  device?: DeviceKind | "auto";
  /** run the engine in a child process, so a native crash cannot take this process down (default:
   * false, except engines that crashed processes they shared: llama-mm) */
  isolate?: boolean;
  /** a failure of the planned device is an error instead of a fallback */
  strict?: boolean;
  /** the model as the user named it, for messages and events (default: the primary file's name) */
  modelName?: string;
  /** the task the caller will run (narrows the engines) */
  task?: TaskName;
  /** forward engine logs to stderr */
  verbose?: boolean;
  /** HEARTH_HOME (default from the environment) */
  home?: string;
}

const SETTING_KEYS = [
  "gpuLayers",
  "threads",
  "contextSize",
  "batchSize",
  "parallel",
  "kvCacheType",
  "flashAttention",
  "seed",
  "extra",
] as const;

export async function loadModel(files: ModelFiles, options: RuntimeLoadOptions = {}): Promise<ManagedModel & LoadedModel> {
  const home = options.home ?? readEnv().home;
  const settings: Partial<Omit<LoadOptions, "device">> = {};
  for (const k of SETTING_KEYS) if (options[k] !== undefined) (settings as Record<string, unknown>)[k] = options[k];
  const { plan, modelKey, machine } = await planModel(files, {
    home,
    device: options.device,
    backend: options.backend,
    strict: options.strict,
    task: options.task,
    settings,
  });
  return ManagedModel.open({
    files,
    plan,
    home,
    modelKey,
    probes: machine.backends,
    modelName: options.modelName ?? path.basename(files.primary),
    isolate: options.isolate,
    verbose: options.verbose,
  });
}
