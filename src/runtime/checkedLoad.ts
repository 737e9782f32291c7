// Loading through an engine after asking its own probe whether the device is really usable:
// some engines (whisper.cpp) silently run on the CPU when asked for a GPU that is not there,
// which would make a plan's "gpu" a lie. The probe normally arrives from the machine description
// (run in a child process, cached); probing here happens only when none was made, because an
// engine's GPU probe loads GPU builds into the calling process.
import type { DeviceProbe, LoadedModel, LoadOptions } from "../backends/types.ts";
import type { ModelFiles } from "../model/types.ts";
import { loadEngine, unavailable } from "./engines.ts";

export async function checkedLoad(
  backendName: string,
  files: ModelFiles,
  options: LoadOptions,
  knownProbes?: DeviceProbe[],
): Promise<LoadedModel> {
  const backend = await loadEngine(backendName);
  const probes = knownProbes ?? (await backend.probe());
  const probe = probes.find((p) => p.device === options.device && p.available) ?? probes.find((p) => p.device === options.device);
  if (!probe) throw unavailable(backendName, options.device, `the engine does not support the ${options.device}`);
  if (!probe.available) throw unavailable(backendName, options.device, probe.reason ?? "its probe says unavailable");
  return backend.load(files, options);
}
