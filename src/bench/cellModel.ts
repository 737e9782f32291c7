// Which engine a cell measures: the one the cell names or the registry's first fit for the model's files.
import type { ModelFiles } from "../model/types.ts";
import { backendDescriptors, backendNames, descriptorsFor, runsTextByChoice } from "../backends/registry.ts";
import { HearthError } from "../errors/HearthError.ts";
import type { BenchCell } from "./matrix.ts";

/** The engine a cell names, or the first registered one that runs this model on the cell's device. */
export function engineFor(files: ModelFiles, cell: Pick<BenchCell, "backend" | "device">): string {
  if (cell.backend) return cell.backend;
  const all = descriptorsFor(files);
  const d = all.find((x) => x.devices.includes(cell.device)) ?? all[0];
  if (!d) {
    throw new HearthError("unsupported_architecture", `no engine can run ${files.format} ${files.type} model ${files.primary}`, {
      hint: "check the model type and format",
    });
  }
  return d.name;
}

/** Every engine that can run this model on the device: those that list its type, in the registry's
 * order, then those that run it by choice (llama-mm for a text model). What `hearth tune --backend all` measures. */
export function enginesFor(files: ModelFiles, device: BenchCell["device"]): string[] {
  const listed = descriptorsFor(files)
    .filter((d) => d.devices.includes(device))
    .map((d) => d.name);
  const byChoice = backendDescriptors()
    .filter((d) => runsTextByChoice(d, files) && d.devices.includes(device))
    .map((d) => d.name);
  return [...listed, ...byChoice.filter((n) => !listed.includes(n))];
}

/** A forced engine may serve a model type it does not list: an LLM runs on any engine that completes text. */
export function filesFor(files: ModelFiles, backend: string | undefined): ModelFiles {
  if (!backend) return files;
  const d = backendDescriptors().find((x) => x.name === backend);
  if (!d) {
    throw new HearthError("backend_unavailable", `unknown backend "${backend}"`, { hint: `choose one of: ${backendNames().join(", ")}` });
  }
  if (!runsTextByChoice(d, files)) return files;
  return { ...files, type: d.modelTypes.find((t) => t === "vlm" || t === "llm") ?? d.modelTypes[0] };
}
