// NPUs where the OS shows them. Nothing here loads a driver: it lists device nodes and sysfs
// entries. Whether a backend can use one is the backend probe's business.
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import type { NpuFacts } from "./types.ts";

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function driverOf(sysDevice: string): string | undefined {
  try {
    return path.basename(readlinkSync(path.join(sysDevice, "driver")));
  } catch {
    return undefined;
  }
}

function pciVendor(sysDevice: string): string | undefined {
  try {
    return readFileSync(path.join(sysDevice, "vendor"), "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Linux accel subsystem: Intel NPU (driver intel_vpu), AMD XDNA (amdxdna), others by name. */
function accelNpus(root: string): NpuFacts[] {
  const out: NpuFacts[] = [];
  for (const name of list(path.join(root, "sys/class/accel"))) {
    const dev = path.join(root, "sys/class/accel", name, "device");
    const driver = driverOf(dev);
    const vendor = pciVendor(dev);
    const kind =
      driver === "intel_vpu" || vendor === "0x8086"
        ? "intel-npu"
        : driver === "amdxdna" || vendor === "0x1022"
          ? "amd-xdna"
          : driver?.includes("qaic")
            ? "qualcomm-hexagon"
            : "unknown";
    const label: Record<string, string> = {
      "intel-npu": "Intel NPU",
      "amd-xdna": "AMD XDNA NPU",
      "qualcomm-hexagon": "Qualcomm AI accelerator",
      unknown: "accelerator",
    };
    out.push({ kind, name: label[kind], source: `/dev/accel/${name}`, driver });
  }
  // device nodes without sysfs (containers pass /dev through but not always /sys)
  if (out.length === 0) {
    for (const name of list(path.join(root, "dev/accel"))) out.push({ kind: "unknown", name: "accelerator", source: `/dev/accel/${name}` });
  }
  return out;
}

/** Qualcomm Hexagon DSP/NPU through FastRPC device nodes (Snapdragon Linux, Android). */
function fastrpcNpus(root: string): NpuFacts[] {
  const nodes = list(path.join(root, "dev")).filter((n) => /^fastrpc-(cdsp|adsp)/.test(n));
  return nodes.some((n) => n.startsWith("fastrpc-cdsp"))
    ? [{ kind: "qualcomm-hexagon", name: "Qualcomm Hexagon NPU", source: `/dev/${nodes.find((n) => n.startsWith("fastrpc-cdsp"))}` }]
    : [];
}

export interface NpuScanOptions {
  platform?: NodeJS.Platform;
  arch?: string;
  /** filesystem root to read /sys and /dev under (tests point it at a fake tree) */
  root?: string;
}

export function readNpus(options: NpuScanOptions = {}): NpuFacts[] {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const root = options.root ?? "/";
  if (platform === "darwin") {
    // every Apple silicon Mac has the Neural Engine (reachable through CoreML)
    return arch === "arm64" ? [{ kind: "apple-ane", name: "Apple Neural Engine", source: "platform" }] : [];
  }
  // Windows (Snapdragon Hexagon via QNN, Intel NPU) shows NPUs only through APIs a backend probe
  // loads; with no file to read here, report none rather than guess
  if (platform === "win32") return [];
  if (!existsSync(root)) return [];
  return [...accelNpus(root), ...fastrpcNpus(root)];
}
