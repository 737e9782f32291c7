// npm run bench:server -- [--model bench] [--prompt 128] [--gen 128] [--reps 5] [--ttft-reps 15] [--threads N] [--parallel 4] [--in-process] [--json]
//
// What the HTTP server costs, in one run on one model (the `bench` fixture by default):
//  (1) one stream through HTTP (POST /v1/completions, stream: true, the engine in the server's runner
//      process) against the SDK in-process (LLM.complete): decode tokens/s ratio and time to first
//      token difference, medians over the reps; runs alternate SDK, SDK in a runner, HTTP, SDK, ... so
//      load from other processes on a shared machine falls on all sides alike. Goal: ratio >= 0.97,
//      TTFT <= +5 ms, from a series of its own (--ttft-reps two-token answers, the three sides' order
//      turning each rep; the median of each rep's HTTP TTFT less its SDK TTFT). The SDK in a runner
//      process (LLM.load's isolate, as the server runs models) splits the gap: in-process -> runner is
//      the process hop, runner -> HTTP is the server's own share. With --in-process the server loads
//      the model in its own process (`hearth serve --in-process`): no hop.
//  (2) four concurrent HTTP streams against one: total decode tokens/s ratio. Goal: >= 2.5x.
//  (3) where scripts/build-llama-bench.sh built it, llama.cpp's own ceiling for (2): llama-batched-bench
//      on the same model (the same CPU variant's kernels), 1 and 4 parallel sequences of `prompt`
//      prompt tokens and `gen` generated, alternating with (2); its decode throughput (S_TG: generated
//      tokens over the time every sequence generates, prompts excluded) against the four HTTP streams'
//      tokens while all four streamed (from the last stream's first token to the first stream's last).
//      Goal: >= 0.9x, the median of each rep's ratio to the llama-batched-bench run just before it. Also
//      printed: the streams' own decode speeds summed (each stream's tokens after its first over its own
//      first-to-last time, which holds the steps where later streams' prompts went beside it) and the
//      whole job (prompt and generated tokens over the time to the last token) against S.
// Prompts are calibrated to `prompt` tokens with the model's tokenizer.
// Both sides time from the client: TTFT = first text chunk - request start; decode tok/s =
// (tokens - 1) / (last chunk - first chunk). End-of-text tokens are forbidden (logit bias) and
// sampling is greedy so every run makes `gen` tokens.
import { parseArgs } from "node:util";
import { Spawner } from "./spawner.ts";
import { existsSync, mkdtempSync } from "node:fs";
import { fileURLToPath } from "node:url";
import os from "node:os";
import path from "node:path";
import { LLM } from "../src/sdk/LLM.ts";
import { buildServer } from "../src/server/app.ts";
import { physicalCores } from "../src/devices/cpuCores.ts";
import { decodeSpeed, median, overlapSpeed, PROMPTS, promptOfLength, streamCompletion, type Run } from "./streamRuns.ts";
import { ensureFixture, type PresetName } from "../fixtures/index.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "bench" },
    prompt: { type: "string", default: "128" },
    gen: { type: "string", default: "128" },
    reps: { type: "string", default: "5" },
    threads: { type: "string" },
    parallel: { type: "string", default: "4" },
    "ttft-reps": { type: "string", default: "15" },
    "in-process": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const gen = Number(values.gen);
const reps = Number(values.reps);
const threads = Number(values.threads ?? physicalCores());
const parallel = Number(values.parallel);
const ttftReps = Number(values["ttft-reps"]);
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};
process.env.HEARTH_HOME ??= mkdtempSync(path.join(os.tmpdir(), "hearth-bench-server-"));

const modelFile = await ensureFixture(values.model as PresetName);
const promptTokens = Number(values.prompt);
const contextSize = Math.max(1024, 2 * (promptTokens + gen + 64));
const batchedBench = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../.cache/llama.cpp/build/bin/llama-batched-bench");

// --- the SDK in-process ---------------------------------------------------------------------------
// llama-batched-bench runs from a helper process started before the SDK's model loads: a fork from
// this process, which holds it, would make the SDK's next generation fault on its own pages (spawner.ts)
const spawner = new Spawner();
log(`loading ${values.model} in-process (SDK) and in a server (runner process), ${threads} threads, parallel ${parallel}`);
const llm = await LLM.load(modelFile, { backend: "llama", device: "cpu", threads, contextSize });
const bias: Record<number, number> = {};
for (const t of ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"]) {
  const ids = await llm.tokenize(t);
  if (ids.length <= 2) bias[ids[ids.length - 1]] = -Infinity;
}

/** `n`-token prompts (the model's own tokenizer counts), one per key, each different from its start. */
const calibrated = new Map<string, string>();
async function promptOf(key: string): Promise<string> {
  let text = calibrated.get(key);
  if (text !== undefined) return text;
  text = await promptOfLength((t) => llm.tokenize(t), key, promptTokens);
  calibrated.set(key, text);
  return text;
}
for (let rep = -1; rep < reps; rep++) {
  await promptOf(`${PROMPTS[(rep + 5) % PROMPTS.length]} ${rep}`);
  await promptOf(`${PROMPTS[(rep + 5) % PROMPTS.length]} single ${rep}`);
  for (let i = 0; i < 4; i++) await promptOf(`${PROMPTS[(rep + 5 + i) % PROMPTS.length]} four ${rep} ${i}`);
}
for (let rep = 0; rep < ttftReps; rep++) await promptOf(`${PROMPTS[rep % PROMPTS.length]} first ${rep}`);

/** llama-batched-bench's decode throughput (S_TG, tok/s) at 1 and 4 parallel sequences, and at 4 its
 * whole job's (S: prompt and generated tokens over the whole time). */
async function batchedBenchRun(): Promise<{ one: number; four: number; fourWhole: number }> {
  const { stdout, stderr } = await spawner.run(batchedBench, [
    "-m",
    modelFile,
    "-c",
    String(4 * (promptTokens + gen) + 64),
    "-b",
    "2048",
    "-ub",
    "512",
    "-npp",
    String(promptTokens),
    "-ntg",
    String(gen),
    "-npl",
    "1,4",
    "-t",
    String(threads),
    "--output-format",
    "jsonl",
  ]);
  const rows = `${stdout}\n${stderr}`
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes('"speed_tg"'))
    .map((l) => JSON.parse(l) as { pl: number; speed_tg: number; speed: number });
  const at = (pl: number) => rows.find((r) => r.pl === pl)?.speed_tg ?? NaN;
  return { one: at(1), four: at(4), fourWhole: rows.find((r) => r.pl === 4)?.speed ?? NaN };
}

// the same model in a runner process, as the server runs it
const isolated = await LLM.load(modelFile, { backend: "llama", device: "cpu", threads, contextSize, isolate: true });

async function sdkRun(prompt: string, on: LLM = llm, maxTokens = gen): Promise<Run> {
  const t0 = performance.now();
  let first: number | undefined;
  let last = 0;
  const stream = on.complete(prompt, { temperature: 0, maxTokens, logitBias: bias });
  for await (const c of stream) {
    if (c.type !== "text") continue;
    last = performance.now() - t0;
    first ??= last;
  }
  const r = await stream.result;
  return { ttftMs: first ?? NaN, firstMs: first ?? NaN, lastMs: last, tokens: r.usage.completionTokens };
}

// --- the server ---------------------------------------------------------------------------------
const app = await buildServer({
  models: [modelFile],
  parallel,
  queueLimit: 16,
  load: { threads, contextSize, backend: "llama", device: "cpu", isolate: values["in-process"] ? false : undefined },
});
const base = await app.listen({ host: "127.0.0.1", port: 0 });
await app.hearth.ready;
if (app.hearth.manager.health() !== "ready") throw new Error(`server not ready: ${JSON.stringify(app.hearth.manager.preloadErrors())}`);
const modelId = app.hearth.manager.configuredNames()[0].id;
const httpBias = Object.fromEntries(Object.keys(bias).map((k) => [k, -100]));

const httpRun = (prompt: string, maxTokens = gen): Promise<Run> =>
  streamCompletion(base, { model: modelId, prompt, max_tokens: maxTokens, temperature: 0, logit_bias: httpBias });

// warm-up both sides (first-run allocations)
await sdkRun(await promptOf(`${PROMPTS[4]} -1`));
await sdkRun(await promptOf(`${PROMPTS[4]} -1`), isolated);
await httpRun(await promptOf(`${PROMPTS[4]} -1`));

const sdk: Run[] = [];
const runner: Run[] = [];
const http: Run[] = [];
for (let rep = 0; rep < reps; rep++) {
  const prompt = await promptOf(`${PROMPTS[(rep + 5) % PROMPTS.length]} ${rep}`);
  sdk.push(await sdkRun(prompt));
  runner.push(await sdkRun(prompt, isolated));
  http.push(await httpRun(prompt));
  const show = (r: Run) => `${decodeSpeed(r).toFixed(1)} tok/s, TTFT ${r.ttftMs.toFixed(1)} ms (${r.tokens} tok)`;
  log(`rep ${rep + 1}/${reps}: SDK ${show(sdk[rep])} | SDK in a runner ${show(runner[rep])} | HTTP ${show(http[rep])}`);
}
// TTFT alone: two-token answers, many reps (each request's TTFT spreads by tens of ms on a shared
// machine), the three sides' order turning each rep so none always runs after the same one
const ttft: Record<"sdk" | "runner" | "http", number[]> = { sdk: [], runner: [], http: [] };
for (let rep = 0; rep < ttftReps; rep++) {
  const prompt = await promptOf(`${PROMPTS[rep % PROMPTS.length]} first ${rep}`);
  const sides = [
    async () => ttft.sdk.push((await sdkRun(prompt, llm, 2)).ttftMs),
    async () => ttft.runner.push((await sdkRun(prompt, isolated, 2)).ttftMs),
    async () => ttft.http.push((await httpRun(prompt, 2)).ttftMs),
  ];
  for (let i = 0; i < sides.length; i++) await sides[(rep + i) % sides.length]();
}
if (ttftReps > 0)
  log(
    `TTFT alone, ${ttftReps} reps: SDK ${median(ttft.sdk).toFixed(1)} ms, SDK in a runner ${median(ttft.runner).toFixed(1)}, HTTP ${median(ttft.http).toFixed(1)}`,
  );
// (the SDK model stays loaded only for the tokenizer: prompts are calibrated above)
await llm.dispose();
await isolated.dispose();

// four concurrent streams against one, on the server (the SDK model is gone: no competition)
const single: number[] = [];
const concurrent: number[] = [];
/** the four streams' own decode speeds summed: generation only, as llama-batched-bench's S_TG counts */
const concurrentDecode: number[] = [];
/** text chunks a second while all four streams were streaming (each chunk is one token here) */
const concurrentOverlap: number[] = [];
/** the four requests' prompt and generated tokens over the time from sending them to the last token */
const concurrentWhole: number[] = [];
const ceiling: { one: number; four: number; fourWhole: number }[] = [];
const haveBatchedBench = existsSync(batchedBench);
if (!haveBatchedBench) log(`llama-batched-bench is not built (${batchedBench}): run scripts/build-llama-bench.sh; no ceiling measured`);
for (let rep = 0; rep < reps; rep++) {
  if (haveBatchedBench) {
    const c = await batchedBenchRun();
    ceiling.push(c);
    log(`rep ${rep + 1}/${reps}: llama-batched-bench decode ${c.one.toFixed(1)} tok/s at 1 sequence, ${c.four.toFixed(1)} tok/s at 4`);
  }
  const one = await httpRun(await promptOf(`${PROMPTS[(rep + 5) % PROMPTS.length]} single ${rep}`));
  single.push(decodeSpeed(one));
  const fours = await Promise.all([0, 1, 2, 3].map((i) => promptOf(`${PROMPTS[(rep + 5 + i) % PROMPTS.length]} four ${rep} ${i}`)));
  const runs = await Promise.all(fours.map((p) => httpRun(p)));
  // aggregate: all tokens after each stream's first, over the span from the first first-token to the last last-token
  const span = (Math.max(...runs.map((r) => r.lastMs)) - Math.min(...runs.map((r) => r.firstMs))) / 1000;
  concurrent.push(runs.reduce((s, r) => s + r.tokens - 1, 0) / span);
  concurrentDecode.push(runs.reduce((s, r) => s + decodeSpeed(r), 0));
  concurrentOverlap.push(overlapSpeed(runs));
  concurrentWhole.push(runs.reduce((s, r) => s + promptTokens + r.tokens, 0) / (Math.max(...runs.map((r) => r.lastMs)) / 1000));
  const firsts = runs.map((r) => r.firstMs);
  log(
    `rep ${rep + 1}/${reps}: one stream ${single[rep].toFixed(1)} tok/s, four streams ${concurrent[rep].toFixed(1)} tok/s over the span, ${concurrentDecode[rep].toFixed(1)} decoding, ${concurrentOverlap[rep].toFixed(1)} while all four streamed (first tokens at ${firsts.map((t) => t.toFixed(0)).join("/")} ms)`,
  );
}
await app.close();
spawner.close();

const ttftSeries =
  ttftReps > 0
    ? {
        reps: ttftReps,
        sdkMs: median(ttft.sdk),
        runnerMs: median(ttft.runner),
        httpMs: median(ttft.http),
        runnerDiffMs: median(ttft.runner.map((t, i) => t - ttft.sdk[i])),
        httpDiffMs: median(ttft.http.map((t, i) => t - ttft.sdk[i])),
      }
    : undefined;
const result = {
  model: values.model,
  serverInProcess: values["in-process"],
  threads,
  parallel,
  gen,
  reps,
  sdk: { decodeTokPerSec: median(sdk.map(decodeSpeed)), ttftMs: median(sdk.map((r) => r.ttftMs)) },
  runner: { decodeTokPerSec: median(runner.map(decodeSpeed)), ttftMs: median(runner.map((r) => r.ttftMs)) },
  http: { decodeTokPerSec: median(http.map(decodeSpeed)), ttftMs: median(http.map((r) => r.ttftMs)) },
  decodeRatio: median(http.map(decodeSpeed)) / median(sdk.map(decodeSpeed)),
  // from the TTFT series where it ran: each rep's HTTP TTFT less its SDK TTFT, the median of those
  ttftDiffMs: ttftSeries?.httpDiffMs ?? median(http.map((r) => r.ttftMs)) - median(sdk.map((r) => r.ttftMs)),
  ttftSeries,
  oneStreamTokPerSec: median(single),
  fourStreamsTokPerSec: median(concurrent),
  fourStreamsDecodeTokPerSec: median(concurrentDecode),
  fourStreamsOverlapTokPerSec: median(concurrentOverlap),
  fourStreamsWholeTokPerSec: median(concurrentWhole),
  concurrencyRatio: median(concurrent) / median(single),
  promptTokens,
  batchedBench: ceiling.length
    ? {
        oneTokPerSec: median(ceiling.map((c) => c.one)),
        fourTokPerSec: median(ceiling.map((c) => c.four)),
        fourWholeTokPerSec: median(ceiling.map((c) => c.fourWhole)),
        // each rep's HTTP runs against the llama-batched-bench run just before them (adjacent runs share the
        // machine's state), then the median. S_TG times generation only, every sequence generating: the
        // streams' tokens while all four streamed are its match (the goal); their own decode speeds summed
        // also count the steps where a later stream's prompt went beside them
        fourRatio: median(ceiling.map((c, i) => concurrentOverlap[i] / c.four)),
        fourDecodeSumRatio: median(ceiling.map((c, i) => concurrentDecode[i] / c.four)),
        // S: the whole job, prompts included (llama-batched-bench sends the four prompts as one batch)
        fourWholeRatio: median(ceiling.map((c, i) => concurrentWhole[i] / c.fourWhole)),
      }
    : undefined,
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const ok = (b: boolean) => (b ? "meets goal" : "BELOW GOAL");
  const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${ms.toFixed(1)}`;
  process.stdout.write(
    [
      `model ${result.model}, ${threads} threads, ${gen} tokens, median of ${reps}`,
      `one stream   SDK in-process ${result.sdk.decodeTokPerSec.toFixed(1)} tok/s, TTFT ${result.sdk.ttftMs.toFixed(1)} ms`,
      `             SDK in a runner ${result.runner.decodeTokPerSec.toFixed(1)} tok/s, TTFT ${result.runner.ttftMs.toFixed(1)} ms (the process hop: ${(result.runner.decodeTokPerSec / result.sdk.decodeTokPerSec).toFixed(3)}x, ${signed(result.runner.ttftMs - result.sdk.ttftMs)} ms)`,
      `             HTTP server${result.serverInProcess ? " (model in its process)" : ""}    ${result.http.decodeTokPerSec.toFixed(1)} tok/s, TTFT ${result.http.ttftMs.toFixed(1)} ms (over the runner: ${(result.http.decodeTokPerSec / result.runner.decodeTokPerSec).toFixed(3)}x, ${signed(result.http.ttftMs - result.runner.ttftMs)} ms)`,
      ...(result.ttftSeries
        ? [
            `             TTFT alone (${result.ttftSeries.reps} reps of 2-token answers, the median of each rep's difference): runner ${signed(result.ttftSeries.runnerDiffMs)} ms, HTTP ${signed(result.ttftSeries.httpDiffMs)} ms over the SDK in-process (${result.ttftSeries.sdkMs.toFixed(1)} ms)`,
          ]
        : []),
      `             decode ratio ${result.decodeRatio.toFixed(3)}x (goal >= 0.97: ${ok(result.decodeRatio >= 0.97)}), TTFT ${signed(result.ttftDiffMs)} ms (goal <= +5: ${ok(result.ttftDiffMs <= 5)})`,
      `concurrency  one stream ${result.oneStreamTokPerSec.toFixed(1)} tok/s, four streams ${result.fourStreamsTokPerSec.toFixed(1)} tok/s total over the span (later streams' prompts included): ${result.concurrencyRatio.toFixed(2)}x (goal >= 2.5: ${ok(result.concurrencyRatio >= 2.5)}); decoding, the streams' speeds summed: ${result.fourStreamsDecodeTokPerSec.toFixed(1)} tok/s`,
      result.batchedBench
        ? [
            `ceiling      llama-batched-bench ${result.batchedBench.oneTokPerSec.toFixed(1)} tok/s at 1 sequence, ${result.batchedBench.fourTokPerSec.toFixed(1)} at 4 (S_TG: generation only, every sequence generating)`,
            `             four HTTP streams while all four streamed ${result.fourStreamsOverlapTokPerSec.toFixed(1)} tok/s: ${result.batchedBench.fourRatio.toFixed(2)}x of it (goal >= 0.9: ${ok(result.batchedBench.fourRatio >= 0.9)})`,
            `             their own decode speeds summed (later prompts' steps included) ${result.batchedBench.fourDecodeSumRatio.toFixed(2)}x; whole job, prompts included, ${result.fourStreamsWholeTokPerSec.toFixed(1)} tok/s against its S ${result.batchedBench.fourWholeTokPerSec.toFixed(1)}: ${result.batchedBench.fourWholeRatio.toFixed(2)}x`,
          ].join("\n")
        : "ceiling      not measured (llama-batched-bench is not built)",
      `${promptTokens}-token prompts`,
    ].join("\n") + "\n",
  );
}
