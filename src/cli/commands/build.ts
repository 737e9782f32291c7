// `hearth build`: the one short step to llama.cpp's own decode speed on the CPU. Compiles ggml's CPU
// library with OpenMP for the variant node-llama-cpp's prebuilt loads here (cpuLibraryBuild.ts: the
// shipped source, no network, about 30 compile units), keeps it under HEARTH_HOME (npm ci keeps it),
// then measures decode with the prebuilt and with the library, each at every thread count in a
// process of its own, on a model: the one named, else the smallest GGUF text model installed.
// "auto" (the default) uses the library only where it measured faster.
import type { Command } from "commander";
import type { CommandModule } from "../command.ts";
import { printJson, printTable } from "../output.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readEnv } from "../../config/env.ts";
import {
  cpuModel,
  cpuLibraryLocation,
  prebuiltCpuVariant,
  readCpuLibraryInfo,
  writeCpuLibraryInfo,
  measuredFaster,
  type CpuLibraryInfo,
} from "../../backends/llama/cpuLibrary.ts";
import { buildCpuLibrary, type BuildProgress } from "../../backends/llama/cpuLibraryBuild.ts";
import { listModels } from "../../store/list.ts";
import { resolveModel } from "../../resolve/resolveModel.ts";
import { runCell } from "../../bench/runCell.ts";
import { DEFAULT_SETTINGS } from "../../bench/types.ts";
import { threadCandidates } from "../../bench/tune.ts";
import { existsSync } from "node:fs";
import { numberFlag } from "../infer/options.ts";

interface BuildFlags {
  model?: string;
  force?: boolean;
  jobs?: number;
  measure: boolean;
  keepWork?: boolean;
  json?: boolean;
}

interface Trial {
  build: "prebuilt" | "local";
  threads: number;
  decode?: number;
  error?: string;
}

/** The smallest GGUF text model installed, by store name (what `hearth build` measures on by default). */
function defaultModel(home: string): string | undefined {
  return listModels(home)
    .filter((m) => m.format === "gguf" && m.type === "llm" && !m.embedded)
    .sort((a, b) => a.sizeBytes - b.sizeBytes)[0]?.name;
}

async function measure(model: string, onTrial: (t: Trial) => void): Promise<{ trials: Trial[]; measured?: CpuLibraryInfo["measured"] }> {
  const settings = { ...DEFAULT_SETTINGS, promptTokens: 32, genTokens: 64, reps: 3, warmup: 1, isolate: true, cellTimeoutSec: 600 };
  const trials: Trial[] = [];
  // alternating, so that load from other processes falls on both sides alike
  for (const threads of threadCandidates())
    for (const build of ["prebuilt", "local"] as const) {
      const r = await runCell({ model, device: "cpu", backend: "llama", threads, llamaBuild: build }, `${build} t${threads}`, settings);
      const ran = (r.settings as { llamaBuild?: string } | undefined)?.llamaBuild;
      const t: Trial = { build, threads, decode: r.decodeTokensPerSec?.median };
      if (!r.ok) t.error = r.error ?? "failed";
      else if (build === "local" && ran === "local")
        t.error = "node-llama-cpp's own local build (npm run build:llama) runs here before the library";
      else if (build === "local" && ran !== "hearth-build") t.error = `ran ${ran ?? "?"}, not the library`;
      trials.push(t);
      onTrial(t);
    }
  const best = (b: Trial["build"]) =>
    trials.filter((t) => t.build === b && !t.error && t.decode).sort((x, y) => (y.decode ?? 0) - (x.decode ?? 0))[0];
  const [p, l] = [best("prebuilt"), best("local")];
  if (!p || !l) return { trials };
  return {
    trials,
    measured: { model, threads: l.threads, prebuiltDecode: p.decode!, libraryDecode: l.decode!, at: new Date().toISOString() },
  };
}

export default {
  register(program: Command) {
    program
      .command("build")
      .description("compile llama.cpp's CPU library with OpenMP for this CPU (about a minute) and use it where it measures faster")
      .option("-m, --model <model>", "model to measure on (default: the smallest GGUF text model installed)")
      .option("--force", "compile again even when a library for this CPU and llama.cpp release exists")
      .option("-j, --jobs <n>", "parallel compile jobs (default: the CPU count)", numberFlag("--jobs", { integer: true, min: 1 }, "2"))
      .option("--no-measure", "compile only; auto then keeps the prebuilt until a measurement says otherwise")
      .option("--keep-work", "keep the source and build folders")
      .option("--json", "print the outcome as JSON")
      .action(async (f: BuildFlags) => {
        const home = readEnv().home;
        const say = (s: string) => f.json || process.stderr.write(`${s}\n`);
        const variant = await prebuiltCpuVariant();
        if (!variant) {
          throw new HearthError(
            "backend_unavailable",
            "node-llama-cpp's prebuilt loads no CPU variant library here, so there is nothing to replace",
            {
              hint: "hearth build makes CPU libraries on x86-64 Linux",
            },
          );
        }
        const model = f.measure ? (f.model ?? defaultModel(home)) : undefined;
        // a bad model name fails before minutes of compiling
        if (model) await resolveModel(model, { pull: false });

        const loc = cpuLibraryLocation(home, variant);
        let info = readCpuLibraryInfo(loc);
        const reuse = !f.force && info && info.cpu === cpuModel() && existsSync(loc.library);
        if (reuse) {
          say(`using the library built ${info!.builtAt} (--force compiles again): ${loc.library}`);
        } else {
          say(`compiling ggml's CPU library for "${variant}" with OpenMP (llama.cpp source from node-llama-cpp, no download)`);
          let shown = -1;
          const onProgress = (p: BuildProgress) => {
            if (p.phase !== "compile") return say(`${p.phase}${p.line ? `: ${p.line}` : ""}`);
            const pct = p.percent ?? 0;
            if (pct >= shown + 20 || pct === 100) {
              shown = pct;
              say(`compile: ${pct}%`);
            }
          };
          info = (await buildCpuLibrary({ home, variant, jobs: f.jobs, keepWork: f.keepWork, onProgress })).info;
          say(`built ${loc.library} in ${info.buildSeconds} s`);
        }

        let trials: Trial[] = [];
        if (model) {
          say(`measuring decode on ${model}: the prebuilt against the library, each thread count in a process of its own`);
          const m = await measure(model, (t) =>
            say(
              `  ${t.build === "local" ? "library " : "prebuilt"} t${t.threads}: ${t.error ? `failed: ${t.error}` : `${t.decode?.toFixed(1)} tok/s`}`,
            ),
          );
          trials = m.trials;
          if (!m.measured) {
            const why = trials.find((t) => t.error)?.error ?? "no result";
            throw new HearthError("backend_unavailable", `the library could not be measured against the prebuilt: ${why}`, {
              hint: "hearth keeps the prebuilt binaries; HEARTH_DEBUG=1 hearth build shows the engine's log",
            });
          }
          info = { ...info!, measured: m.measured };
          writeCpuLibraryInfo(loc, info);
        }
        const used = info!.measured ? measuredFaster(info!) : false;
        if (f.json) return printJson({ library: loc.library, variant, reused: !!reuse, info, trials, usedByAuto: used });
        if (trials.length) {
          printTable([
            ["build", "threads", "decode tok/s"],
            ...trials.map((t) => [
              t.build === "local" ? "hearth build" : "prebuilt",
              String(t.threads),
              t.error ? `failed: ${t.error}` : (t.decode?.toFixed(1) ?? "-"),
            ]),
          ]);
        }
        const m = info!.measured;
        process.stdout.write(
          m
            ? `decode on ${m.model}: library ${m.libraryDecode.toFixed(1)} tok/s against the prebuilt's ${m.prebuiltDecode.toFixed(1)} (${(m.libraryDecode / m.prebuiltDecode).toFixed(2)}x): ${used ? "hearth uses the library for llama on the CPU" : "hearth keeps the prebuilt (HEARTH_LLAMA_BUILD=local forces the library)"}\n`
            : `not measured${f.measure ? ": no GGUF text model installed (hearth build --model <model> measures on one)" : ""}; hearth keeps the prebuilt until a measurement finds the library faster (HEARTH_LLAMA_BUILD=local forces it)\n`,
        );
      });
  },
} satisfies CommandModule;
