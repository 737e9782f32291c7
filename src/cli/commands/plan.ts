// `hearth plan <model>`: where and how hearth would run a model, why, and the ranked alternatives;
// `--reset` forgets remembered fallbacks.
import type { Command } from "commander";
import type { DeviceKind, ModelType } from "../../model/types.ts";
import { readEnv } from "../../config/env.ts";
import { HearthError } from "../../errors/HearthError.ts";
import type { PlanCandidate } from "../../planner/types.ts";
import { clearFailures, rememberedFailures } from "../../runtime/fallbackStore.ts";
import { modelKeyOf, planModel } from "../../runtime/planModel.ts";
import { planReport } from "../../runtime/reports.ts";
import { resolveModel } from "../../resolve/resolveModel.ts";
import type { CommandModule } from "../command.ts";
import { printJson, printTable } from "../output.ts";

const DEVICES = ["auto", "cpu", "gpu", "npu"];
const TYPES: ModelType[] = ["llm", "vlm", "embedder", "reranker", "asr", "tts", "cv", "image_gen", "diarize"];

interface PlanFlags {
  json?: boolean;
  device?: string;
  backend?: string;
  strict?: boolean;
  reset?: boolean;
  type?: string;
  refresh?: boolean;
}

function settingsOf(c: PlanCandidate): string {
  const o = c.options;
  const parts = [
    o.gpuLayers !== undefined && c.device === "gpu" ? `gpuLayers ${o.gpuLayers}` : undefined,
    o.threads !== undefined ? `threads ${o.threads}` : undefined,
    o.contextSize !== undefined ? `ctx ${o.contextSize}` : undefined,
    o.batchSize !== undefined ? `batch ${o.batchSize}` : undefined,
    o.kvCacheType !== undefined ? `kv ${o.kvCacheType}` : undefined,
  ];
  return parts.filter(Boolean).join(", ") || "engine defaults";
}

export default {
  register(program: Command) {
    program
      .command("plan")
      .description(
        "show where and how hearth would run a model (engine, device, GPU layers, threads, context), why, and the ranked alternatives",
      )
      .argument("[model]", "org/repo[:QUANT], an alias, an embedded model name or a path")
      .option("--json", "print as JSON")
      .option("--device <device>", `force a device: ${DEVICES.join("|")}`, "auto")
      .option("--backend <name>", "force an engine")
      .option("--strict", "no fallback: the chosen device or an error")
      .option("--type <type>", `what the model is for when the file does not say: ${TYPES.join("|")}`)
      .option("--reset", "forget remembered fallbacks (of this model, or of all models without one)")
      .option("--refresh", "probe the devices again instead of using the cached probe")
      .action(async (ref: string | undefined, flags: PlanFlags) => {
        const home = readEnv().home;
        if (!DEVICES.includes(flags.device ?? "auto")) {
          throw new HearthError("bad_input", `unknown device "${flags.device}"`, { hint: `choose one of: ${DEVICES.join(", ")}` });
        }
        if (flags.type && !TYPES.includes(flags.type as ModelType)) {
          throw new HearthError("bad_input", `unknown model type "${flags.type}"`, { hint: `choose one of: ${TYPES.join(", ")}` });
        }
        if (!ref) {
          if (!flags.reset)
            throw new HearthError("bad_input", "name a model to plan", {
              hint: "hearth plan <model>, or hearth plan --reset to forget every remembered fallback",
            });
          const n = clearFailures(home);
          if (flags.json) return printJson({ reset: n });
          process.stdout.write(`forgot ${n} remembered fallback${n === 1 ? "" : "s"}\n`);
          return;
        }
        const files = await resolveModel(ref, { type: flags.type as ModelType | undefined, pull: false });
        let reset: number | undefined;
        if (flags.reset) reset = clearFailures(home, modelKeyOf(files));
        const r = await planModel(files, {
          home,
          device: flags.device as DeviceKind | "auto",
          backend: flags.backend,
          strict: flags.strict,
          refresh: flags.refresh,
        });
        const p = r.plan;
        const remembered = rememberedFailures(home, r.modelKey);
        if (flags.json) return printJson({ ...planReport(ref, files, r, home), ...(reset !== undefined ? { reset } : {}) });
        if (reset !== undefined) process.stdout.write(`forgot ${reset} remembered fallback${reset === 1 ? "" : "s"} of ${ref}\n\n`);
        process.stdout.write(
          `${ref}: ${p.backend} on ${p.device}${p.chosen.deviceName ? ` (${p.chosen.deviceName})` : ""}, ${settingsOf(p.chosen)}\n`,
        );
        for (const reason of p.reasons.slice(1)) process.stdout.write(`  - ${reason}\n`);
        process.stdout.write("\n");
        const rows: string[][] = [["RANK", "ENGINE", "DEVICE", "FIT", "SETTINGS", "WHY"]];
        p.alternatives.forEach((c, i) => {
          rows.push([
            String(i + 1),
            c.backend,
            `${c.device}${c.api !== c.device ? ` (${c.api})` : ""}`,
            c.usable ? c.fit : c.fit === "none" ? "too big" : "unusable",
            settingsOf(c),
            c.reasons[0] ?? "",
          ]);
        });
        printTable(rows);
        process.stdout.write(
          `\nfallback: ${p.fallbackChain.map((c) => `${c.backend}/${c.device}`).join(" -> ")}${p.strict ? " (--strict: no fallback)" : ""}\n`,
        );
        for (const f of remembered)
          process.stdout.write(`remembered: ${f.backend}/${f.device} failed ${f.at}: ${f.reason} (hearth plan --reset forgets)\n`);
      });
  },
} satisfies CommandModule;
