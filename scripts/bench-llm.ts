// npm run bench:llm -- [--models bench,tiny] [--threads 1,2] [--reps 3] [--prompt 512] [--gen 128] [--build auto|local|prebuilt] [--backend llama,llama-mm] [--isolate auto|true|false] [--reference static,prebuilt] [--json]
//
// --reference: the llama-bench builds to compare with (default: each that scripts/build-llama-bench.sh
// made). "static" is llama.cpp's own build of the same source for the same CPU variant, with OpenMP:
// llama.cpp at its best here. "prebuilt" is the same llama-bench linked against node-llama-cpp's
// prebuilt libraries, the binaries hearth runs: its ratio is what hearth itself adds or loses. The
// two differ where the compilers do (the same variant's loops vectorized by one and not the other).
//
// --isolate: where the SDK runs the engine, as LLM.load's isolate option: "auto" (default) is what a
// user gets (this process; llama-mm in a runner process), "false" this process, "true" a runner.
// A runner's CPU time is not this process's, so runner rows show no CPU µs/token.
//
// --backend: the engines the SDK runs the model on, each measured (default: llama, hearth's text
// engine). llama-mm (@fugood/llama.node) runs text models where named or measured faster
// (hearth tune): its token loop is native, which matters on tiny models. The summary gives each
// engine's best and the faster one, which is the one hearth picks once both are tuned.
//
// --build: which llama.cpp binaries the SDK runs on (as HEARTH_LLAMA_BUILD): "auto" (default) is
// what a user gets, the local OpenMP build where `npm run build:llama` made one, else node-llama-cpp's
// prebuilt binaries. The table says which one ran.
//
// Decode and prefill speed of the SDK (LLM.complete through the llama engine, node-llama-cpp) against
// llama.cpp's own llama-bench built from the same llama.cpp revision (scripts/build-llama-bench.sh),
// same model, same threads, side by side in one run, at each thread count from 1 to the physical
// cores (the issue asks for each side at its best thread count; the table shows every count). Runs alternate (llama-bench, SDK, llama-bench,
// ...) and each side's best run counts, so that load from other processes on a shared machine
// disturbs the ratio as little as it can. Decode is measured from a short prompt (llama-bench's tg
// starts from an empty context) with end-of-text tokens forbidden so every run makes `gen` tokens;
// prefill is a fresh prompt of `prompt` tokens per run (no KV-cache reuse). Wall-clock speed on a
// machine that other processes load says little, so decode is also measured as CPU time per token
// (all threads of the process; llama-bench's through /usr/bin/time, a 1-token run subtracted to
// remove its load): at one thread that is the work each side does per token, whatever the load.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { LLM } from "../src/sdk/LLM.ts";
import type { GenerationResult } from "../src/sdk/types.ts";
import { physicalCores } from "../src/devices/cpuCores.ts";
import { ensureFixture, type PresetName } from "../fixtures/index.ts";
import { PRESETS } from "../fixtures/presets.ts";
import { buildVocab } from "../fixtures/vocab.ts";
import { Spawner } from "./spawner.ts";
import { DEFAULT_LLAMA_BENCH, PREBUILT_LLAMA_BENCH } from "../src/bench/llamaBench.ts";
import { describeKernels, kernelMismatch, llamaBenchKernels, prebuiltKernels, type LlamaKernels } from "../src/bench/llamaKernels.ts";

/** the llama-bench builds, by --reference name (scripts/build-llama-bench.sh); `short` heads the columns */
const REFERENCES = {
  static: {
    label: "llama-bench",
    short: "lb",
    about: "llama-bench, llama.cpp's own build of the same source for the same CPU variant (OpenMP)",
    bin: DEFAULT_LLAMA_BENCH,
  },
  prebuilt: {
    label: "llama-bench on the prebuilt",
    short: "lb/pre",
    about: "the same llama-bench linked against node-llama-cpp's prebuilt libraries, the binaries hearth runs out of the box",
    bin: PREBUILT_LLAMA_BENCH,
  },
} as const;
type RefName = keyof typeof REFERENCES;

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "bench,tiny" },
    threads: { type: "string" },
    reps: { type: "string", default: "3" },
    prompt: { type: "string", default: "512" },
    gen: { type: "string", default: "128" },
    "tiny-gen": { type: "string", default: "512" },
    build: { type: "string", default: "auto" },
    backend: { type: "string", default: "llama" },
    isolate: { type: "string", default: "auto" },
    reference: { type: "string", default: "static,prebuilt" },
    json: { type: "boolean", default: false },
  },
});
if (!["auto", "local", "prebuilt"].includes(values.build!)) {
  process.stderr.write(`--build must be auto, local or prebuilt, not ${values.build}\n`);
  process.exit(2);
}
if (!["auto", "true", "false"].includes(values.isolate!)) {
  process.stderr.write(`--isolate must be auto, true or false, not ${values.isolate}\n`);
  process.exit(2);
}
const isolate = values.isolate === "auto" ? undefined : values.isolate === "true";
const asked = values.reference!.split(",").map((r) => r.trim());
for (const r of asked)
  if (!(r in REFERENCES)) {
    process.stderr.write(`--reference takes static and prebuilt, not ${r}\n`);
    process.exit(2);
  }
const missing = asked.filter((r) => !existsSync(REFERENCES[r as RefName].bin));
/** the references measured: those asked for that are built */
const refs = asked.filter((r) => !missing.includes(r)) as RefName[];
const threadCounts = values.threads
  ? values.threads
      .split(",")
      .map(Number)
      .filter((n) => n > 0)
  : Array.from({ length: physicalCores() }, (_, i) => i + 1);
let threads = threadCounts[0];
const reps = Number(values.reps);
const promptTokens = Number(values.prompt);

interface Side {
  decode: number[];
  prefill: number[];
  decodeCpuUs: number[];
}
interface Row {
  model: string;
  backend: string;
  threads: number;
  gen: number;
  prompt: number;
  build: string;
  runner: boolean;
  /** each reference's runs, by --reference name */
  refs: Partial<Record<RefName, Side>>;
  sdk: Side;
}

const best = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
const least = (xs: number[]) => (xs.length ? Math.min(...xs) : NaN);
const timeBin = "/usr/bin/time";
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};

// llama-bench runs from a helper process: a fork from this one, which holds the SDK's model, would
// make the SDK's next prefill and decode fault on its own pages (spawner.ts)
const spawner = new Spawner();

/** CPU seconds (user + system) of one llama-bench decode run of `n` tokens, load included. */
async function llamaBenchCpu(bin: string, model: string, n: number): Promise<number> {
  const { stderr } = await spawner.run(timeBin, [
    "-f",
    "cpu %U %S",
    bin,
    "-m",
    model,
    "-t",
    String(threads),
    "-p",
    "0",
    "-n",
    String(n),
    "-r",
    "1",
    "--no-warmup",
    "-o",
    "json",
  ]);
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(stderr);
  return m ? Number(m[1]) + Number(m[2]) : NaN;
}

async function llamaBenchDecodeCpuUs(bin: string, model: string, gen: number): Promise<number> {
  if (!existsSync(timeBin)) return NaN;
  return (((await llamaBenchCpu(bin, model, gen)) - (await llamaBenchCpu(bin, model, 1))) / (gen - 1)) * 1e6;
}

async function runLlamaBench(bin: string, model: string, gen: number): Promise<{ decode: number; prefill: number }> {
  const { stdout } = await spawner.run(bin, [
    "-m",
    model,
    "-t",
    String(threads),
    "-p",
    String(promptTokens),
    "-n",
    String(gen),
    "-r",
    "1",
    "-o",
    "json",
  ]);
  const rows = JSON.parse(stdout) as { n_prompt: number; n_gen: number; avg_ts: number }[];
  return { prefill: rows.find((r) => r.n_prompt > 0)!.avg_ts, decode: rows.find((r) => r.n_gen > 0)!.avg_ts };
}

const prompts = new Map<string, string>();

/** Texts of `n` tokens (the beginning-of-text token included), one per seed, each different from its
 * first token on. Counted with the llama engine's tokenizer (llama-mm has none), before any
 * measurement and in a model of their own that is then released, so every engine gets the same texts
 * and nothing idle stays loaded. */
async function calibratePrompts(model: string, n: number, seeds: number[]): Promise<void> {
  const words = ["river", "stone", "lamp", "cloud", "orange", "window", "quiet", "market", "silver", "garden", "train", "paper"];
  // the build the run measures: llama.cpp runs one CPU build per process, and this load is its first
  const tokenizer = await LLM.load(model, {
    backend: "llama",
    device: "cpu",
    threads: 1,
    contextSize: 256,
    extra: { llamaBuild: values.build },
  } as Parameters<typeof LLM.load>[1]);
  try {
    for (const seed of seeds) {
      // exactly n tokens with the beginning-of-text token, as llama-bench's pp<n> decodes n: a word
      // can be several tokens, so other word sequences are tried until one ends on the count
      for (let attempt = 0; ; attempt++) {
        let rnd = (seed + attempt * 100_003) * 7919 + 1;
        const next = () => {
          rnd = (rnd * 48271) % 2147483647;
          return words[rnd % words.length];
        };
        // a different first word for consecutive seeds: the seed's digits alone share their first
        // tokens ("1000", "1001"), and the SDK would reuse those cells from the run before
        let text = `${words[seed % words.length]} ${seed}`;
        let count = (await tokenizer.tokenize(text)).length;
        while (count < n - 1) {
          text += ` ${next()}`;
          count = (await tokenizer.tokenize(text)).length;
        }
        if (count === n - 1 || attempt === 50) {
          prompts.set(`${model}\0${seed}`, text);
          break;
        }
      }
    }
  } finally {
    await tokenizer.dispose();
  }
}

function promptOf(model: string, seed: number): string {
  const text = prompts.get(`${model}\0${seed}`);
  if (text === undefined) throw new Error(`no calibrated prompt for seed ${seed}`);
  return text;
}

/** The end-of-text and turn tokens, forbidden so every run makes `gen` tokens: the fixture's own
 * vocabulary says their ids (llama-mm has no tokenize). */
function forbiddenEnds(preset: PresetName): Record<number, number> {
  const { special } = buildVocab(PRESETS[preset].vocab);
  const bias: Record<number, number> = {};
  for (const t of ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"])
    if (special[t] !== undefined) bias[special[t]] = -Infinity;
  return bias;
}

/** the fewest decoded tokens a run may have to count (see runSdk) */
const MIN_DECODE = 64;
const DECODE_PROMPTS = ["Hello world", "The quick brown fox", "Once upon a time", "In the beginning", "Dear friend"];

async function runSdk(
  llm: LLM,
  model: string,
  gen: number,
  rep: number,
  bias: Record<number, number>,
): Promise<{ decode: number; prefill: number; decodeCpuUs: number }> {
  // random weights can reach a step where llama.cpp's sampler finds no candidate, or (llama.node)
  // an end token despite the bias: try other short prompts for a full-length run, else keep the
  // longest run if it made at least MIN_DECODE tokens (the log says how many)
  let d: GenerationResult | undefined;
  let decodeCpuUs = NaN;
  for (let attempt = 0; attempt < 2 * DECODE_PROMPTS.length; attempt++) {
    const cpu0 = process.cpuUsage();
    const run = await llm.complete(`${DECODE_PROMPTS[attempt % DECODE_PROMPTS.length]} ${rep}`, {
      temperature: 0,
      maxTokens: gen,
      logitBias: bias,
    }).result;
    const cpu = process.cpuUsage(cpu0);
    if (!d || run.usage.completionTokens > d.usage.completionTokens) {
      d = run;
      decodeCpuUs = (cpu.user + cpu.system) / Math.max(1, run.usage.completionTokens);
    }
    if (run.usage.completionTokens >= gen - 1) break; // llama.node counts the first token apart
  }
  if (d!.usage.completionTokens < Math.min(gen - 1, MIN_DECODE))
    throw new Error(`decode runs end early (${d!.usage.completionTokens} of ${gen} tokens)`);
  if (d!.usage.completionTokens < gen - 1) log(`  (longest run: ${d!.usage.completionTokens} of ${gen} tokens)`);
  const p = await llm.complete(promptOf(model, rep + 1000), { temperature: 0, maxTokens: 1 }).result;
  if (p.usage.promptTokens !== promptTokens)
    log(`  (the prefill prompt has ${p.usage.promptTokens} tokens, llama-bench's ${promptTokens})`);
  return { decode: d!.profile.decodeTokensPerSec ?? NaN, prefill: p.profile.prefillTokensPerSec ?? NaN, decodeCpuUs };
}

const rows: Row[] = [];
/** per model: the kernels each side ran (llamaKernels.ts) and, where they differ, why no ratio is printed */
interface ModelKernels {
  sdk?: LlamaKernels;
  refs: Partial<Record<RefName, LlamaKernels>>;
  mismatch: Partial<Record<RefName, string>>;
  notes: string[];
}
const kernels = new Map<string, ModelKernels>();
for (const r of missing)
  log(`${REFERENCES[r as RefName].label} is not built (${REFERENCES[r as RefName].bin}): run scripts/build-llama-bench.sh`);
if (refs.length === 0) log("no llama-bench to compare with: measuring the SDK only");
for (const name of values
  .models!.split(",")
  .map((s) => s.trim())
  .filter(Boolean) as PresetName[]) {
  const model = await ensureFixture(name);
  const gen = Number(name === "tiny" ? values["tiny-gen"] : values.gen);
  await calibratePrompts(
    model,
    promptTokens,
    Array.from({ length: reps + 1 }, (_, i) => i - 1 + 1000),
  );
  if (refs.length) {
    // the kernels each side runs: the SDK's as node-llama-cpp's prebuilt loads it (the local build,
    // where it runs, is built for this CPU from the same source; its buffers are not probed)
    const k: ModelKernels = { refs: {}, mismatch: {}, notes: [] };
    await prebuiltKernels(model).then(
      (x) => (k.sdk = x),
      (e) => k.notes.push(`sdk: ${e.message}`),
    );
    for (const r of refs) {
      await llamaBenchKernels(REFERENCES[r].bin, model).then(
        (x) => (k.refs[r] = x),
        (e) => k.notes.push(`${REFERENCES[r].label}: ${e.message}`),
      );
      if (k.sdk && k.refs[r]) k.mismatch[r] = kernelMismatch(k.sdk, k.refs[r]);
    }
    kernels.set(name, k);
    log(`${name} kernels: ${describeAll(k)}`);
  }
  for (const backend of values
    .backend!.split(",")
    .map((b) => b.trim())
    .filter(Boolean))
    for (threads of threadCounts) {
      const extra = { llamaBuild: values.build }; // passes through the SDK to the engine's LoadOptions
      const llm = await LLM.load(model, {
        backend,
        device: "cpu",
        threads,
        contextSize: Math.max(1024, promptTokens + gen + 64),
        extra,
        isolate,
      } as Parameters<typeof LLM.load>[1]);
      const runner = llm.info.settings?.isolated === true;
      // which binaries, and hearth's thread helper on them (+pool, +thread: backends/llama/contextThreads.ts)
      const st = llm.info.settings ?? {};
      const helper = `${st.threadPool === "persistent" ? "+pool" : ""}${st.decodeThread === "own" ? "+thread" : ""}`;
      const notes = [st.llamaBuildNote, st.threadPoolNote].filter(Boolean).join("; ");
      const build = `${st.llamaBuild ?? "-"}${helper}${notes ? ` (${notes})` : ""}`;
      const bias = forbiddenEnds(name);
      await runSdk(llm, model, Math.min(gen, 16), -1, bias); // warm-up: first-run allocations
      const row: Row = {
        model: name,
        backend,
        threads,
        gen,
        prompt: promptTokens,
        build,
        runner,
        refs: Object.fromEntries(refs.map((r) => [r, { decode: [], prefill: [], decodeCpuUs: [] }])),
        sdk: { decode: [], prefill: [], decodeCpuUs: [] },
      };
      for (let rep = 0; rep < reps; rep++) {
        for (const r of refs) {
          const side = row.refs[r]!;
          const lb = await runLlamaBench(REFERENCES[r].bin, model, gen);
          side.decode.push(lb.decode);
          side.prefill.push(lb.prefill);
          const cpuUs = await llamaBenchDecodeCpuUs(REFERENCES[r].bin, model, gen);
          side.decodeCpuUs.push(cpuUs);
          log(
            `${name} t${threads} rep ${rep + 1}: ${REFERENCES[r].label} decode ${lb.decode.toFixed(1)} prefill ${lb.prefill.toFixed(1)} tok/s, decode ${cpuUs.toFixed(0)} CPU µs/token`,
          );
        }
        const s = await runSdk(llm, model, gen, rep, bias);
        row.sdk.decode.push(s.decode);
        row.sdk.prefill.push(s.prefill);
        row.sdk.decodeCpuUs.push(runner ? NaN : s.decodeCpuUs);
        log(
          `${name} t${threads} rep ${rep + 1}: sdk ${backend.padEnd(8)} decode ${s.decode.toFixed(1)} prefill ${s.prefill.toFixed(1)} tok/s, decode ${s.decodeCpuUs.toFixed(0)} CPU µs/token`,
        );
      }
      await llm.dispose();
      rows.push(row);
    }
}

function describeAll(k: ModelKernels): string {
  return [
    `sdk on node-llama-cpp's prebuilt ${k.sdk ? describeKernels(k.sdk) : "?"}`,
    ...refs.map(
      (r) => `${REFERENCES[r].label} ${k.refs[r] ? describeKernels(k.refs[r]) : "?"}${k.mismatch[r] ? ` -- ${k.mismatch[r]}` : ""}`,
    ),
  ].join("; ");
}

interface Top {
  value: number;
  threads: number;
  backend: string;
}
/** Each side at its own best thread count (and, for the SDK, engine), per model. */
function bestOf(model: string, backend?: string) {
  const mine = rows.filter((r) => r.model === model && (!backend || r.backend === backend));
  const pick = (get: (r: Row) => number[] | undefined): Top => {
    let top = { value: NaN, threads: 0, backend: "" };
    for (const r of mine) {
      const v = best(get(r) ?? []);
      if (!(v <= top.value)) top = { value: v, threads: r.threads, backend: r.backend };
    }
    return top;
  };
  return {
    model,
    refs: Object.fromEntries(
      refs.map((ref) => [ref, { decode: pick((r) => r.refs[ref]?.decode), prefill: pick((r) => r.refs[ref]?.prefill) }]),
    ) as Partial<Record<RefName, { decode: Top; prefill: Top }>>,
    sdk: { decode: pick((r) => r.sdk.decode), prefill: pick((r) => r.sdk.prefill) },
  };
}
const models = [...new Set(rows.map((r) => r.model))];
const summary = models.map((m) => bestOf(m));
spawner.close();

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ threadCounts, reps, references: Object.fromEntries(refs.map((r) => [r, REFERENCES[r]])), rows, best: summary, kernels: Object.fromEntries(kernels) }, null, 2)}\n`,
  );
} else {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
  const plainRatio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : "-");
  // no ratio between different matrix kernels (llamaKernels.ts): the prebuilt SDK rows say so instead
  const differs = (model: string, prebuiltRow: boolean, r: RefName) => prebuiltRow && kernels.get(model)?.mismatch[r] !== undefined;
  const ratio = (a: number, b: number, apart: boolean) =>
    apart && Number.isFinite(a) && Number.isFinite(b) ? "n/a (kernels differ)" : plainRatio(a, b);
  const table = (lines: string[][]) => {
    const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
    for (const l of lines) process.stdout.write(`${l.map((c, i) => c.padEnd(widths[i])).join("  ")}\n`);
  };
  const perRef = (head: string) => refs.flatMap((r) => [`${REFERENCES[r].short} ${head}`, "ratio"]);
  const lines = [
    [
      "model",
      "engine",
      "threads",
      "sdk build",
      "sdk decode",
      ...perRef("decode"),
      "sdk prefill",
      ...perRef("prefill"),
      `decode CPU µs/token sdk${refs.map((r) => ` / ${REFERENCES[r].short}`).join("")}`,
    ],
  ];
  for (const r of rows) {
    const prebuiltRow = r.build.startsWith("prebuilt") && r.backend === "llama";
    const sD = best(r.sdk.decode),
      sP = best(r.sdk.prefill);
    lines.push([
      r.model,
      `${r.backend}${r.runner ? " (runner)" : ""}`,
      String(r.threads),
      r.build.split(" ")[0],
      f(sD),
      ...refs.flatMap((ref) => {
        const lb = best(r.refs[ref]?.decode ?? []);
        return [f(lb), ratio(sD, lb, differs(r.model, prebuiltRow, ref))];
      }),
      f(sP),
      ...refs.flatMap((ref) => {
        const lb = best(r.refs[ref]?.prefill ?? []);
        return [f(lb), ratio(sP, lb, differs(r.model, prebuiltRow, ref))];
      }),
      [least(r.sdk.decodeCpuUs), ...refs.map((ref) => least(r.refs[ref]?.decodeCpuUs ?? []))].map(f).join(" / "),
    ]);
  }
  table(lines);
  for (const [model, k] of kernels) {
    process.stdout.write(`${model} kernels: ${describeAll(k)}\n`);
    for (const r of refs)
      if (k.mismatch[r])
        process.stdout.write(
          `  ${REFERENCES[r].label}: ${k.mismatch[r]}: the ratios of the prebuilt SDK rows would compare kernels, not hearth, and are not given\n`,
        );
    for (const note of k.notes) process.stdout.write(`  ${note}\n`);
    if (rows.some((r) => r.model === model && !r.build.startsWith("prebuilt")))
      process.stdout.write(
        "  sdk rows on a local build (hearth build, npm run build:llama): the same source compiled here for this CPU; their kernels are not probed\n",
      );
  }
  process.stdout.write("\neach side at its best thread count:\n");
  const at = (x: Top) => `${f(x.value)} (${x.backend ? `${x.backend} ` : ""}t${x.threads})`;
  table([
    ["model", "sdk decode", ...perRef("decode"), "sdk prefill", ...perRef("prefill")],
    ...summary.map((b) => {
      const prebuiltRows = rows.some((r) => r.model === b.model && r.build.startsWith("prebuilt"));
      return [
        b.model,
        at(b.sdk.decode),
        ...refs.flatMap((r) => [
          at({ ...b.refs[r]!.decode, backend: "" }),
          ratio(b.sdk.decode.value, b.refs[r]!.decode.value, differs(b.model, prebuiltRows, r)),
        ]),
        at(b.sdk.prefill),
        ...refs.flatMap((r) => [
          at({ ...b.refs[r]!.prefill, backend: "" }),
          ratio(b.sdk.prefill.value, b.refs[r]!.prefill.value, differs(b.model, prebuiltRows, r)),
        ]),
      ];
    }),
  ]);
  const engines = [...new Set(rows.map((r) => r.backend))];
  if (engines.length > 1 && refs.length) {
    const ref = refs[0];
    process.stdout.write(`\neach engine at its best thread count (against ${REFERENCES[ref].label}'s best):\n`);
    for (const b of summary) {
      for (const e of engines) {
        const mine = bestOf(b.model, e);
        process.stdout.write(
          `  ${b.model} ${e}: decode ${at(mine.sdk.decode)} ${plainRatio(mine.sdk.decode.value, b.refs[ref]!.decode.value)}, prefill ${at(mine.sdk.prefill)} ${plainRatio(mine.sdk.prefill.value, b.refs[ref]!.prefill.value)}\n`,
        );
      }
    }
  }
  for (const r of refs) process.stdout.write(`${REFERENCES[r].short}: ${REFERENCES[r].about}\n`);
  for (const note of new Set(rows.map((r) => r.build).filter((b) => b.includes("(")))) process.stdout.write(`sdk build: ${note}\n`);
  if (rows.some((r) => r.build.includes("+")))
    process.stdout.write(
      "sdk build +pool: a persistent ggml thread pool; +thread: decode steps on a thread of the context's own (hearth's thread helper)\n",
    );
  process.stdout.write(
    `tok/s, best of ${reps} alternating runs each; prefill ${promptTokens} tokens, decode ${[...new Set(rows.map((r) => `${r.gen} (${r.model})`))].join(", ")} tokens\n`,
  );
}
