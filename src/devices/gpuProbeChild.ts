// Child-process entry: loads node-llama-cpp's build for ONE GPU API and reports what it sees.
// Runs alone in its process: a driver fault kills this child only, and node-llama-cpp never shares
// a process with @fugood/llama.node.
import type { GpuApi, GpuApiProbe } from "./types.ts";

const api = process.argv[2] as GpuApi;

async function probe(): Promise<GpuApiProbe> {
  const { getLlama } = await import("node-llama-cpp");
  try {
    const llama = await getLlama({ gpu: api, build: "never", progressLogs: false, skipDownload: true, vramPadding: 0 });
    if (llama.gpu !== api) return { api, available: false, reason: `${api} build did not load (got ${llama.gpu || "cpu"})` };
    const vram = await llama.getVramState();
    const devices = await llama.getGpuDeviceNames();
    await llama.dispose();
    if (devices.length === 0) return { api, available: false, reason: `${api} loaded but reports no device` };
    return {
      api,
      available: true,
      devices,
      memoryTotalBytes: vram.total || undefined,
      memoryFreeBytes: vram.total ? vram.free : undefined,
      unifiedMemoryBytes: vram.unifiedSize || undefined,
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message || e.name : String(e);
    return {
      api,
      available: false,
      reason: /NoBinaryFound/.test(msg) ? `no usable ${api} build or driver on this machine` : msg.split("\n")[0],
    };
  }
}

process.send!(await probe());
