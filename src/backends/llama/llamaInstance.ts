// node-llama-cpp's Llama instance per device: `gpu: false` loads the CPU build, "auto" the best GPU
// build that works here (CUDA, Vulkan, Metal), tested by node-llama-cpp before use. Prebuilt
// binaries only: hearth never compiles llama.cpp or downloads at run time.
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { DeviceKind, DeviceProbe } from "../types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { physicalCores } from "../cpuCores.ts";

const instances = new Map<"cpu" | "gpu", Promise<Llama>>();

function create(gpu: boolean): Promise<Llama> {
  return getLlama({
    gpu: gpu ? "auto" : false,
    build: "never",
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    // the thread pool node-llama-cpp shares between the contexts of this instance; more threads
    // than physical cores made decode 80x slower here (DESIGN.md)
    maxThreads: physicalCores(),
  });
}

export function llamaFor(device: DeviceKind): Promise<Llama> {
  const key = device === "gpu" ? "gpu" : "cpu";
  let p = instances.get(key);
  if (!p) {
    p = create(key === "gpu").catch((e) => {
      instances.delete(key);
      throw new HearthError("backend_unavailable", `node-llama-cpp has no working ${key} build here: ${e instanceof Error ? e.message.split("\n")[0] : e}`, {
        hint: key === "gpu" ? "use --device cpu" : "reinstall hearth (npm ci) so node-llama-cpp's prebuilt binaries are present",
        cause: e,
      });
    });
    instances.set(key, p);
  }
  return p;
}

export async function probeDevices(): Promise<DeviceProbe[]> {
  const probes: DeviceProbe[] = [];
  try {
    await llamaFor("cpu");
    probes.push({ device: "cpu", api: "cpu", available: true });
  } catch (e) {
    probes.push({ device: "cpu", api: "cpu", available: false, reason: (e as Error).message });
  }
  try {
    const llama = await llamaFor("gpu");
    probes.push(llama.gpu
      ? { device: "gpu", api: llama.gpu, available: true }
      : { device: "gpu", api: "cuda/vulkan/metal", available: false, reason: "no GPU build of llama.cpp works on this machine" });
  } catch (e) {
    probes.push({ device: "gpu", api: "cuda/vulkan/metal", available: false, reason: (e as Error).message });
  }
  return probes;
}
