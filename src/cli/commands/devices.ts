// `hearth devices`: what this machine has (CPU, RAM, GPUs, NPUs) and which engines can use each.
import type { Command } from "commander";
import { readEnv } from "../../config/env.ts";
import { engineDescriptors } from "../../runtime/engines.ts";
import { describeMachine } from "../../runtime/machine.ts";
import { devicesReport } from "../../runtime/reports.ts";
import type { CommandModule } from "../command.ts";
import { formatBytes, printJson, printTable } from "../output.ts";

const unknown = (v: unknown) => (v === undefined || v === null || v === "" ? "unknown" : String(v));

export default {
  register(program: Command) {
    program
      .command("devices")
      .description("show this machine's CPU, RAM, GPUs and NPUs, which GPU APIs really load, and which engines can use each device")
      .option("--json", "print as JSON")
      .option("--refresh", "probe again instead of using the cached probe (kept 10 minutes)")
      .action(async (flags: { json?: boolean; refresh?: boolean }) => {
        // probing takes seconds the first time: say what is happening on a terminal
        const onProgress = process.stderr.isTTY ? (line: string) => process.stderr.write(`${line}...\n`) : undefined;
        const m = await describeMachine({
          home: readEnv().home,
          refresh: flags.refresh,
          descriptors: await engineDescriptors(),
          onProgress,
        });
        const r = devicesReport(m);
        if (flags.json) return printJson(r);
        const list = (a: string[]) => (a.length ? a.join(", ") : "none");
        const rows: string[][] = [["DEVICE", "NAME", "MEMORY", "DETAILS", "ENGINES"]];
        rows.push([
          "cpu",
          unknown(r.cpu.model),
          `${formatBytes(r.memory.totalBytes)} RAM, ${formatBytes(r.memory.freeBytes)} free`,
          `${r.cpu.arch}, ${r.cpu.physicalCores} physical / ${r.cpu.logicalCores} logical cores, SIMD ${r.cpu.simdKnown ? list(r.cpu.simd) : "unknown"}`,
          list(r.cpu.backends),
        ]);
        for (const g of r.gpus) {
          rows.push([
            `gpu ${g.index}`,
            unknown(g.name),
            g.memoryTotalBytes !== undefined ? `${formatBytes(g.memoryTotalBytes)}, ${formatBytes(g.memoryFreeBytes)} free` : "unknown",
            `${unknown(g.vendor)}, ${g.apis.length ? g.apis.join("/") : "no compute API loads"}, driver ${g.driver ?? "none bound"}${g.pciAddress ? `, PCI ${g.pciAddress}` : ""}`,
            list(g.backends),
          ]);
        }
        for (const n of r.npus)
          rows.push(["npu", n.name, "unknown", `${n.kind} at ${n.source}${n.driver ? `, driver ${n.driver}` : ""}`, list(n.backends)]);
        printTable(rows);
        process.stdout.write("\n");
        const apis = r.gpuApis.map((a) => `${a.api}: ${a.available ? `loads (${(a.devices ?? []).join(", ")})` : `no (${a.reason})`}`);
        process.stdout.write(`GPU APIs: ${apis.length ? apis.join("; ") : "none for this platform"}\n`);
        process.stdout.write("\nEngines, each probed in a process of its own:\n");
        const probeRows: string[][] = [["ENGINE", "DEVICE", "API", "USABLE"]];
        for (const [name, probes] of Object.entries(r.backends)) {
          for (const p of [...probes].sort((a, b) => a.device.localeCompare(b.device))) {
            probeRows.push([name, p.device, p.api, p.available ? "yes" : `no: ${p.reason ?? "probe failed"}`]);
          }
        }
        printTable(probeRows);
        process.stdout.write("\n");
        if (r.gpus.length === 0) process.stdout.write("no GPU found\n");
        if (r.npus.length === 0) process.stdout.write("no NPU found\n");
        process.stdout.write(`probed ${r.probedAt}${r.cached ? " (cached; --refresh probes again)" : ""}\n`);
      });
  },
} satisfies CommandModule;
