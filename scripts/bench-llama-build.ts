// npx tsx scripts/bench-llama-build.ts [--models bench,tiny] [--reps 3] [--gen 64] [--tiny-gen 256]
//
// Decode speed of the SDK on node-llama-cpp's prebuilt binaries against the local OpenMP build
// (npm run build:llama), each at 1 and 2 threads, with and without the one-thread decode rule of
// src/backends/llama/threads.ts (LoadOptions.extra.decodeThreads), next to llama.cpp's llama-bench
// (scripts/build-llama-bench.sh) in the same run. Both builds carry libggml-base.so, so each SDK
// run is a child process of its own. Runs alternate (llama-bench, then every SDK setting, per
// repetition) and each setting's best run counts, as in scripts/bench-llm.ts.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const llamaBench = path.join(root, ".cache/llama.cpp/build/bin/llama-bench");
const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    child: { type: "boolean", default: false },
    model: { type: "string" },
    threads: { type: "string", default: "1" },
    build: { type: "string", default: "local" },
    "decode-threads": { type: "string" },
    models: { type: "string", default: "bench,tiny" },
    reps: { type: "string", default: "3" },
    gen: { type: "string", default: "64" },
    "tiny-gen": { type: "string", default: "256" },
  },
});

async function child(): Promise<void> {
  const { LLM } = await import("../src/sdk/LLM.ts");
  const gen = Number(values.gen);
  const extra: Record<string, unknown> = {};
  if (values.build === "local") extra.llamaBuild = "local";
  if (values["decode-threads"]) extra.decodeThreads = Number(values["decode-threads"]);
  // extra passes through the SDK to the engine's LoadOptions (not part of LoadModelOptions' type)
  const options = { backend: "llama", device: "cpu" as const, threads: Number(values.threads), contextSize: 1024, extra };
  const llm = await LLM.load(values.model!, options);
  const bias: Record<number, number> = {};
  for (const t of ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>"]) {
    const ids = await llm.tokenize(t);
    if (ids.length <= 2) bias[ids[ids.length - 1]] = -Infinity;
  }
  await llm.complete("Warm up", { temperature: 0, maxTokens: 8, logitBias: bias }).result;
  let best = 0;
  for (const prompt of ["Hello world", "The quick brown fox", "Once upon a time", "Dear friend"]) {
    const r = await llm.complete(prompt, { temperature: 0, maxTokens: gen, logitBias: bias }).result;
    if (r.usage.completionTokens < gen) continue; // the random-weight sampler ended early: another prompt
    best = r.profile.decodeTokensPerSec ?? 0;
    break;
  }
  const s = llm.info.settings ?? {};
  process.stdout.write(
    `${JSON.stringify({ decode: best, build: s.llamaBuild, note: s.llamaBuildNote, decodeThreads: s.decodeThreads })}\n`,
  );
  await llm.dispose();
}

interface Setting {
  label: string;
  args: string[];
  best: number;
  seen?: string;
}

async function driver(): Promise<void> {
  const { ensureFixture } = await import("../fixtures/index.ts");
  for (const name of values.models!.split(",") as ("bench" | "tiny")[]) {
    const model = await ensureFixture(name);
    const gen = name === "tiny" ? values["tiny-gen"]! : values.gen!;
    const settings: Setting[] = [
      { label: "prebuilt t1", args: ["--build", "prebuilt", "--threads", "1"], best: 0 },
      { label: "prebuilt t2, rule (auto)", args: ["--build", "prebuilt", "--threads", "2"], best: 0 },
      { label: "prebuilt t2, decode on 2", args: ["--build", "prebuilt", "--threads", "2", "--decode-threads", "2"], best: 0 },
      { label: "local t1", args: ["--build", "local", "--threads", "1"], best: 0 },
      { label: "local t2, decode on 1", args: ["--build", "local", "--threads", "2", "--decode-threads", "1"], best: 0 },
      { label: "local t2 (auto)", args: ["--build", "local", "--threads", "2"], best: 0 },
    ];
    const lb = [
      { t: 1, best: 0 },
      { t: 2, best: 0 },
    ];
    for (let rep = 0; rep < Number(values.reps); rep++) {
      if (existsSync(llamaBench)) {
        for (const x of lb) {
          const { stdout } = await run(llamaBench, ["-m", model, "-t", String(x.t), "-p", "0", "-n", gen, "-r", "1", "-o", "json"], {
            maxBuffer: 1 << 24,
          });
          x.best = Math.max(x.best, (JSON.parse(stdout) as { avg_ts: number }[])[0].avg_ts);
        }
      }
      for (const s of settings) {
        const { stdout } = await run(
          process.execPath,
          ["--import", "tsx", fileURLToPath(import.meta.url), "--child", "--model", model, "--gen", gen, ...s.args],
          { maxBuffer: 1 << 24 },
        );
        const r = JSON.parse(stdout.trim().split("\n").pop()!) as { decode: number; build: string; note?: string; decodeThreads: number };
        s.best = Math.max(s.best, r.decode);
        s.seen = `${r.build}, decodeThreads ${r.decodeThreads}${r.note ? ` (${r.note})` : ""}`;
      }
      process.stderr.write(`${name} rep ${rep + 1} done\n`);
    }
    process.stdout.write(`\n${name} (${gen} tokens decoded, tok/s, best of ${values.reps}):\n`);
    for (const x of lb) process.stdout.write(`  llama-bench t${x.t}: ${x.best.toFixed(1)}\n`);
    for (const s of settings) process.stdout.write(`  sdk ${s.label}: ${s.best.toFixed(1)}   [${s.seen}]\n`);
  }
}

await (values.child ? child() : driver());
