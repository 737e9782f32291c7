// GPU discovery: each compute API (CUDA, Vulkan, Metal) is probed by loading node-llama-cpp's
// build for it in a child process of its own; sysfs adds the kernel driver where readable.
import { readFileSync, existsSync, readdirSync, readlinkSync } from "node:fs";
import path from "node:path";
import type { GpuApi, GpuApiProbe, GpuFacts } from "./types.ts";
import { entryBeside, runTsChildOnce } from "../process/tsChild.ts";

/** The APIs node-llama-cpp ships builds of for this platform, in order of preference. */
export function gpuApisFor(platform: NodeJS.Platform = process.platform, arch = process.arch): GpuApi[] {
  if (platform === "darwin") return arch === "arm64" ? ["metal"] : [];
  if (platform === "linux" || platform === "win32") return ["cuda", "vulkan"];
  return [];
}

export async function probeGpuApis(timeoutMs = 60_000, onProgress?: (line: string) => void): Promise<GpuApiProbe[]> {
  const out: GpuApiProbe[] = [];
  // one at a time: two GPU builds initialising at once fight over the same driver
  for (const api of gpuApisFor()) {
    onProgress?.(`probing ${api}`);
    try {
      out.push(await runTsChildOnce<GpuApiProbe>(entryBeside(import.meta.url, "./gpuProbeChild.ts"), { args: [api], timeoutMs }));
    } catch (e) {
      out.push({ api, available: false, reason: `probe crashed: ${e instanceof Error ? e.message : e}` });
    }
  }
  return out;
}

export function vendorFromName(name: string): string | undefined {
  if (/nvidia|geforce|quadro|tesla|rtx|gtx/i.test(name)) return "nvidia";
  if (/\bamd\b|radeon|instinct/i.test(name)) return "amd";
  if (/intel|arc\b|iris|uhd graphics/i.test(name)) return "intel";
  if (/apple/i.test(name)) return "apple";
  return undefined;
}

function kernelDriver(vendor: string | undefined): string | undefined {
  const read = (f: string) => {
    try {
      return readFileSync(f, "utf8").trim();
    } catch {
      return undefined;
    }
  };
  if (vendor === "nvidia") {
    const v = read("/sys/module/nvidia/version");
    return v ? `nvidia ${v}` : undefined;
  }
  if (vendor === "amd" && existsSync("/sys/module/amdgpu")) return "amdgpu";
  if (vendor === "intel") return existsSync("/sys/module/xe") ? "xe" : existsSync("/sys/module/i915") ? "i915" : undefined;
  return undefined;
}

/** One entry per GPU name the APIs reported, with the APIs that work for it. */
export function gpusFromProbes(probes: GpuApiProbe[]): GpuFacts[] {
  const gpus: GpuFacts[] = [];
  for (const p of probes.filter((x) => x.available)) {
    const names = p.devices ?? [];
    names.forEach((name, index) => {
      let g = gpus.find((x) => x.name === name && x.index === index);
      if (!g) {
        const vendor = vendorFromName(name);
        g = { index, name, vendor, apis: [], driver: kernelDriver(vendor) };
        gpus.push(g);
      }
      g.apis.push(p.api);
      // node-llama-cpp reports memory summed over devices: per GPU only when there is one
      if (names.length === 1 && g.memoryTotalBytes === undefined) {
        g.memoryTotalBytes = p.memoryTotalBytes;
        g.memoryFreeBytes = p.memoryFreeBytes;
        g.unifiedMemory = p.api === "metal" || (p.unifiedMemoryBytes ?? 0) > 0 || undefined;
      }
    });
  }
  return gpus;
}

const PCI_VENDORS: Record<string, string> = { "0x10de": "nvidia", "0x1002": "amd", "0x8086": "intel" };

/**
 * GPUs on the PCI bus (Linux sysfs): display and 3D controllers of the GPU vendors. They show a GPU
 * that is there even when no compute API loads (no driver, wrong driver), which users need to know.
 */
export function readPciGpus(root = "/"): GpuFacts[] {
  const dir = path.join(root, "sys/bus/pci/devices");
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: GpuFacts[] = [];
  for (const addr of names) {
    const read = (f: string) => {
      try {
        return readFileSync(path.join(dir, addr, f), "utf8").trim();
      } catch {
        return undefined;
      }
    };
    const cls = read("class");
    const vendor = PCI_VENDORS[read("vendor") ?? ""];
    if (!cls?.startsWith("0x03") || !vendor) continue;
    let driver: string | undefined;
    try {
      driver = path.basename(readlinkSync(path.join(dir, addr, "driver")));
    } catch {
      driver = undefined; // no kernel driver bound
    }
    out.push({ index: out.length, vendor, apis: [], driver, pciAddress: addr });
  }
  return out;
}

/** API-probed GPUs, plus those the bus shows that no API reached (their vendor matched no probed GPU). */
export function mergePciGpus(probed: GpuFacts[], pci: GpuFacts[]): GpuFacts[] {
  const out = [...probed];
  for (const p of pci) {
    const same = out.find((g) => g.vendor === p.vendor && g.pciAddress === undefined);
    if (same) {
      same.pciAddress = p.pciAddress;
      same.driver ??= p.driver;
    } else {
      out.push({ ...p, index: out.length });
    }
  }
  return out;
}
