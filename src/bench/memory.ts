// Peak memory of a process while a cell runs: resident memory from /proc (the kernel's high-water
// mark, VmHWM, so short peaks between samples are not missed) and, on NVIDIA GPUs, device memory
// sampled from nvidia-smi.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { nvidiaGpus } from "./machine.ts";

function statusField(pid: number, field: string): number | undefined {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resets this process's peak-RSS mark (Linux: writing 5 to /proc/self/clear_refs), so a later
 * peakRss() measures from now: cells measured one after another in one process each get their own
 * peak. Returns false where the kernel does not allow it (the peak then spans the process's life).
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** Peak resident bytes of a process so far (VmHWM); for this process, resourceUsage where /proc is absent. */
export function peakRss(pid = process.pid): number | undefined {
  return statusField(pid, "VmHWM") ?? (pid === process.pid ? process.resourceUsage().maxRSS * 1024 : undefined);
}

/** Resident bytes now. */
export function currentRss(pid = process.pid): number | undefined {
  return statusField(pid, "VmRSS") ?? (pid === process.pid ? process.memoryUsage().rss : undefined);
}

function gpuUsedBy(pids: number[]): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile("nvidia-smi", ["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"], { timeout: 5000 }, (err, out) => {
      if (err) return resolve(undefined);
      let total = 0;
      for (const line of out.trim().split("\n")) {
        const [pid, mib] = line.split(",").map((s) => Number(s.trim()));
        if (pids.includes(pid)) total += mib * 1024 * 1024;
      }
      resolve(total);
    });
  });
}

/** Samples GPU memory of some processes every interval until stopped; peak is undefined without a GPU. */
export class GpuMemorySampler {
  private peak: number | undefined;
  private timer?: NodeJS.Timeout;
  private readonly pids: number[];
  constructor(
    pids: number[],
    private readonly intervalMs = 250,
  ) {
    this.pids = pids;
  }
  start(): this {
    if (nvidiaGpus().length === 0) return this;
    this.peak = 0;
    const tick = async () => {
      const used = await gpuUsedBy(this.pids);
      if (used !== undefined) this.peak = Math.max(this.peak ?? 0, used);
      if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, 0);
    return this;
  }
  async stop(): Promise<number | undefined> {
    if (!this.timer) return this.peak;
    clearTimeout(this.timer);
    this.timer = undefined;
    const last = await gpuUsedBy(this.pids);
    if (last !== undefined) this.peak = Math.max(this.peak ?? 0, last);
    return this.peak;
  }
}
