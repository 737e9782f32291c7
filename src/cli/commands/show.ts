// `hearth show <model>`: what a model is and what it needs.
import type { Command } from "commander";
import { formatBytes, printJson, printTable } from "../output.ts";
import type { CommandModule } from "../command.ts";
import { describeModel } from "../../resolve/describe.ts";

function formatCount(n: number | undefined): string {
  if (n === undefined) return "unknown";
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export default {
  register(program: Command) {
    program
      .command("show")
      .description("show a model's architecture, parameters, quant, size, context length and memory needs")
      .argument("<model>", "org/repo[:QUANT], an alias, an embedded model name or a path")
      .option("--json", "print as JSON")
      .action(async (model: string, flags: { json?: boolean }) => {
        const d = await describeModel(model);
        if (flags.json) return printJson(d);
        const yes = (b: boolean | undefined) => (b === undefined ? "-" : b ? "yes" : "no");
        printTable([
          ["FIELD", "VALUE"],
          ["name", d.name],
          ["source", d.source],
          ["type", d.type],
          ["format", d.format],
          ["architecture", d.architecture ?? "-"],
          ["parameters", formatCount(d.parameters)],
          ["quant", d.quant ?? "-"],
          ["context length", d.contextLength !== undefined ? String(d.contextLength) : "-"],
          ["chat template", yes(d.hasChatTemplate)],
          ["modalities", d.modalities.join(", ")],
          ["size on disk", formatBytes(d.sizeBytes)],
          ["memory @4096 ctx", d.memoryBytes4k !== undefined ? formatBytes(d.memoryBytes4k) : "-"],
          ...(d.quants ? [["quants", d.quants.map((q) => `${q.name}${q.downloaded ? "*" : ""}`).join(" ")]] : []),
          ["primary file", d.files.primary],
        ]);
      });
  },
} satisfies CommandModule;
