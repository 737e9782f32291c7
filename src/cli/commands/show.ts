// `hearth show <model>`: what a model is and what it needs.
import type { Command } from "commander";
import { formatBytes, printJson, printTable } from "../output.ts";
import type { CommandModule } from "../command.ts";
import { describeModel } from "../../resolve/describe.ts";
import { looksLikePath } from "../../resolve/resolveModel.ts";
import { engineFormats } from "../../backends/registry.ts";
import { listRemoteQuants } from "../../store/pull.ts";
import { noEngineError } from "../../store/foreignFormats.ts";
import { isHearthError } from "../../errors/HearthError.ts";

/** A store name not installed: when the hub says it is in a format no engine here runs, that is the
 * thing to say (a pull would refuse it); otherwise the store's "not in the store" stands. */
async function describeOrRefuse(model: string) {
  try {
    return await describeModel(model);
  } catch (e) {
    if (!isHearthError(e) || (e.code !== "model_not_found" && e.code !== "not_downloaded") || looksLikePath(model) || !model.includes("/"))
      throw e;
    const remote = await listRemoteQuants(model).catch(() => undefined);
    if (remote && !engineFormats().includes(remote.format)) throw noEngineError(remote.repo, remote.format);
    throw e;
  }
}

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
        const d = await describeOrRefuse(model);
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
          [
            "engines",
            d.engines.length ? d.engines.join(", ") : `none: hearth has no engine for ${d.format} ${d.type} models on this platform`,
          ],
          ["primary file", d.files.primary],
        ]);
      });
  },
} satisfies CommandModule;
