// The list of engines. Each engine folder has a pure `descriptor.ts` (no native code) and an
// `index.ts` whose default export creates the Backend; the latter is imported only when that engine
// is used, so running one engine never loads another's native code (two llama.cpp bindings must
// not share a process).
import type { Backend, BackendDescriptor } from "./types.ts";
import type { ModelFiles, ModelFormat } from "../model/types.ts";
import type { TaskName } from "../model/task.ts";
import { HearthError } from "../errors/HearthError.ts";
import { engineLoadError } from "./nativeLoad.ts";
import { descriptor as llama } from "./llama/descriptor.ts";
import { descriptor as llamaMm } from "./llama-mm/descriptor.ts";
import { descriptor as whisper } from "./whisper/descriptor.ts";
import { descriptor as sherpa } from "./sherpa/descriptor.ts";
import { descriptor as onnx } from "./onnx/descriptor.ts";
import { descriptor as diffusion } from "./diffusion/descriptor.ts";

interface Entry {
  descriptor: BackendDescriptor;
  create: () => Promise<Backend>;
}

// Engines register here, one entry each.
const entries: Entry[] = [
  { descriptor: llama, create: () => import("./llama/index.ts").then((m) => m.default()) },
  { descriptor: llamaMm, create: () => import("./llama-mm/index.ts").then((m) => m.default()) },
  { descriptor: whisper, create: () => import("./whisper/index.ts").then((m) => m.default()) },
  { descriptor: sherpa, create: () => import("./sherpa/index.ts").then((m) => m.default()) },
  // before onnx: a diffusers pipeline's part (unet/model.onnx) is that pipeline, not a lone ONNX graph
  { descriptor: diffusion, create: () => import("./diffusion/index.ts").then((m) => m.default()) },
  { descriptor: onnx, create: () => import("./onnx/index.ts").then((m) => m.default()) },
];

export function backendDescriptors(): BackendDescriptor[] {
  return entries.map((e) => e.descriptor);
}

/** Every format some engine here reads. */
export function engineFormats(): ModelFormat[] {
  return [...new Set(entries.flatMap((e) => e.descriptor.formats))];
}

export function backendNames(): string[] {
  return entries.map((e) => e.descriptor.name);
}

const created = new Map<string, Promise<Backend>>();

export function loadBackend(name: string): Promise<Backend> {
  const entry = entries.find((e) => e.descriptor.name === name);
  if (!entry) {
    return Promise.reject(
      new HearthError("backend_unavailable", `unknown backend "${name}"`, {
        hint: `choose one of: ${backendNames().join(", ") || "(none registered)"}`,
      }),
    );
  }
  let p = created.get(name);
  if (!p) {
    p = entry.create().catch((e: unknown) => {
      created.delete(name); // a package installed meanwhile is found on the next try
      throw engineLoadError(name, e);
    });
    created.set(name, p);
  }
  return p;
}

/**
 * An engine that does not list "llm" but completes text on this format (llama-mm, built for VLMs)
 * can run a text model too. It is not in a text model's default plan: only where it is named or
 * measured faster (hearth tune), since hearth's text engine has more features (tools, KV-cache
 * files, parallel sequences). On tiny models it decodes several times faster (native token loop).
 */
export function runsTextByChoice(d: BackendDescriptor, model: Pick<ModelFiles, "format" | "type">): boolean {
  return model.type === "llm" && !d.modelTypes.includes("llm") && d.formats.includes(model.format) && d.tasks.includes("complete");
}

/** Descriptors of the engines that can run this model (format, type, optionally a task). */
export function descriptorsFor(model: Pick<ModelFiles, "format" | "type">, task?: TaskName): BackendDescriptor[] {
  return backendDescriptors().filter(
    (d) => d.formats.includes(model.format) && d.modelTypes.includes(model.type) && (task === undefined || d.tasks.includes(task)),
  );
}
