// The engine settings every media SDK class hands the runtime from its load options, in one place
// (a class that listed them itself once left `strict` out).
import type { RuntimeLoadOptions } from "../runtime/load.ts";
import type { LoadModelOptions } from "./types.ts";

export function engineOptions(o: LoadModelOptions): Pick<RuntimeLoadOptions, "backend" | "device" | "threads" | "isolate" | "strict"> {
  return {
    backend: o.backend,
    // "auto" is the runtime's default: hearth chooses
    device: o.device === "auto" ? undefined : o.device,
    threads: o.threads,
    isolate: o.isolate,
    strict: o.strict,
  };
}
