// TEST-ONLY engine, loaded through HEARTH_TEST_ENGINES (src/runtime/engines.ts): the real llama-mm
// engine under a second name, so a CPU-only machine has two engines for one model and a fallback
// between them runs real code on both sides. Nothing is faked: loads and generations are llama.cpp's.
import type { Backend, BackendDescriptor } from "../../../src/backends/types.ts";
import { descriptor as llamaMm } from "../../../src/backends/llama-mm/descriptor.ts";

const descriptor: BackendDescriptor = { ...llamaMm, name: "llama-mm-twin", devices: ["cpu"] };

export default {
  descriptor,
  async create(): Promise<Backend> {
    const real = await (await import("../../../src/backends/llama-mm/index.ts")).default();
    return { descriptor, probe: () => real.probe(), load: (m, o) => real.load(m, o) };
  },
};
