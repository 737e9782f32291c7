// `hearth tune <model>`: finds the fastest load settings for a model on this machine by short
// benchmark runs, prints every trial and the best, and stores the best as a profile the planner uses.
import type { Command } from "commander";
import type { CommandModule } from "../command.ts";
import { printJson, printTable } from "../output.ts";
import { HearthError } from "../../errors/HearthError.ts";
import type { DeviceKind } from "../../model/types.ts";
import type { LoadOptions } from "../../backends/types.ts";
import { tune, tuneEngines, type TuneOutcome, type TuneTrial } from "../../bench/tune.ts";

interface TuneFlags {
  backend?: string;
  device?: string;
  force?: boolean;
  json?: boolean;
  promptTokens: string;
  genTokens: string;
  reps: string;
  isolate: boolean;
}

function int(option: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new HearthError("bad_input", `${option} got "${value}"`, { hint: `give a whole number >= ${min}` });
  return n;
}

function describe(s: Partial<LoadOptions>): string {
  return Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

const num = (x?: number, d = 1) => (x === undefined ? "-" : x.toFixed(d));

function trialRow(t: TuneTrial, best: boolean): string[] {
  const r = t.result;
  return [
    best ? "*" : "",
    describe(t.settings),
    num(r.prefillTokensPerSec?.median),
    num(r.decodeTokensPerSec?.median),
    num(r.latencyMs?.median),
    r.ok && !r.errors ? "" : `failed: ${r.error ?? "errors"}`,
  ];
}

/** A tune outcome as text: every trial (or that a stored profile was reused), then the best. */
function report(out: TuneOutcome): void {
  const p = out.profile;
  if (out.reused) {
    process.stdout.write(`using the profile measured ${p.measuredAt} (run with --force to measure again): ${out.file}\n`);
  } else {
    printTable([
      ["", "settings", "prefill tok/s", "decode tok/s", "latency ms", "note"],
      ...out.trials.map((t) => trialRow(t, JSON.stringify(t.settings) === JSON.stringify(p.settings))),
    ]);
    for (const note of out.notes) process.stdout.write(`\n${note}\n`);
    process.stdout.write(`\nstored: ${out.file}\n`);
  }
  process.stdout.write(
    `best on ${p.deviceKey} with ${p.backend}: ${describe(p.settings)} (prefill ${num(p.prefillTokensPerSec)} tok/s, decode ${num(p.decodeTokensPerSec)} tok/s, ${num(p.latencyMs)} ms for ${p.workload?.promptTokens ?? "?"}+${p.workload?.genTokens ?? "?"} tokens)\n`,
  );
}

export default {
  register(program: Command) {
    program
      .command("tune")
      .description(
        "find the fastest settings for a model on this machine (threads, batch, flash attention, KV-cache type, GPU layers) and store them as a profile",
      )
      .argument("<model>", "store name or path to a model file")
      .option(
        "--backend <name>",
        'engine to tune (default: the one hearth picks); "all": every engine that can run the model, and hearth then uses the fastest',
      )
      .option("--device <kind>", "cpu or gpu (default: gpu where there is one)")
      .option("--force", "measure again even when a profile is stored for this file and device")
      .option("-p, --prompt-tokens <n>", "prompt length of each trial", "128")
      .option("-n, --gen-tokens <n>", "tokens generated in each trial", "32")
      .option("-r, --reps <n>", "measured repetitions per trial", "2")
      .option("--no-isolate", "run trials in this process (faster; an engine crash then ends the run)")
      .option("--json", "print the outcome as JSON")
      .action(async (model: string, f: TuneFlags) => {
        if (f.device !== undefined && !["cpu", "gpu", "npu"].includes(f.device)) {
          throw new HearthError("bad_input", `--device got "${f.device}"`, { hint: "give cpu, gpu or npu" });
        }
        const options = {
          backend: f.backend,
          device: f.device as DeviceKind | undefined,
          force: f.force,
          promptTokens: int("--prompt-tokens", f.promptTokens, 1),
          genTokens: int("--gen-tokens", f.genTokens, 1),
          reps: int("--reps", f.reps, 1),
          isolate: f.isolate,
        };
        const onTrial = (backend: string | undefined, t: TuneTrial, n: number) => {
          if (f.json) return;
          const r = t.result;
          const what =
            r.ok && !r.errors ? `${num(r.latencyMs?.median)} ms, decode ${num(r.decodeTokensPerSec?.median)} tok/s` : `failed: ${r.error}`;
          process.stderr.write(`${backend ? `${backend} ` : ""}trial ${n}: ${describe(t.settings)}: ${what}\n`);
        };
        if (f.backend === "all") {
          const { backend: _all, ...rest } = options;
          const all = await tuneEngines(model, rest, onTrial);
          if (f.json) return printJson(all);
          for (const out of all.outcomes) report(out);
          for (const x of all.failed) process.stdout.write(`${x.backend}: every trial failed: ${x.error}\n`);
          // the others stay in the plan: a request the chosen engine refuses (tools on llama-mm) runs there
          const others = all.outcomes.map((o) => o.profile.backend).filter((b) => b !== all.chosen);
          process.stdout.write(
            `hearth will run this model with ${all.chosen}: the fastest decode measured here${others.length ? `; a request it cannot run goes to ${others.join(", ")}` : ""}\n`,
          );
          return;
        }
        const out = await tune(model, options, (t, n) => onTrial(undefined, t, n));
        if (f.json)
          return printJson(
            out.reused
              ? { reused: true, file: out.file, profile: out.profile }
              : { reused: false, file: out.file, profile: out.profile, trials: out.trials, notes: out.notes },
          );
        report(out);
      });
  },
} satisfies CommandModule;
