// npm run bench:stall -- [--model bench] [--prompt 1400] [--threads N] [--reps 2] [--stall 200] [--json]
//
// A stream beside another request's long prompt, on one context of two sequences (the server's
// case): how long the stream waits between tokens while the prompt is decoded, and what the prompt's
// time to first token costs for it. Each rep runs both settings of HEARTH_STREAM_STALL_MS, alternating:
// "off" (prompts fill the batch, as llama.cpp's server does) and the limit given (default hearth's, 200
// ms). The stream starts first (a short prompt, end tokens banned); the long prompt is sent once it
// streams, with a start of its own so that no cells are reused. Reported per setting: the stream's
// longest gap between tokens and its tokens during the prefill, and the long prompt's TTFT; medians.
import { parseArgs } from "node:util";
import { LLM } from "../src/sdk/LLM.ts";
import { physicalCores } from "../src/devices/cpuCores.ts";
import { ensureFixture, type PresetName } from "../fixtures/index.ts";
import { NO_END_BIAS } from "../fixtures/vocab.ts";
import { median, promptOfLength } from "./streamRuns.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "bench" },
    prompt: { type: "string", default: "1400" },
    threads: { type: "string" },
    reps: { type: "string", default: "2" },
    stall: { type: "string", default: "200" },
    json: { type: "boolean", default: false },
  },
});
const reps = Number(values.reps);
const promptTokens = Number(values.prompt);
const threads = Number(values.threads ?? physicalCores());
if (!(Number(values.stall) >= 0)) {
  process.stderr.write(`--stall takes milliseconds (0 or more), not ${values.stall}\n`);
  process.exit(2);
}
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};

const modelFile = await ensureFixture(values.model as PresetName);
const llm = await LLM.load(modelFile, {
  backend: "llama",
  device: "cpu",
  threads,
  parallel: 2,
  contextSize: Math.max(2048, promptTokens + 700),
});

interface Outcome {
  /** the stream's longest wait between two tokens while the prompt was decoded, ms */
  maxGapMs: number;
  /** the stream's tokens from the long request to its first token */
  tokensDuring: number;
  /** the long prompt's time to first token, ms */
  ttftMs: number;
}

async function run(stall: string, rep: number): Promise<Outcome> {
  process.env.HEARTH_STREAM_STALL_MS = stall; // read when each request starts
  const prompt = await promptOfLength((t) => llm.tokenize(t), `${stall} ${rep}`, promptTokens);
  const times: number[] = [];
  const stop = new AbortController();
  const stream = llm.complete(`Hello world ${rep}`, { temperature: 0, maxTokens: 4000, logitBias: NO_END_BIAS, signal: stop.signal });
  const streaming = (async () => {
    try {
      for await (const c of stream) if (c.type === "text") times.push(performance.now());
    } catch {
      // the abort below
    }
  })();
  while (times.length < 3) await new Promise((r) => setTimeout(r, 5));
  const asked = performance.now();
  let first = 0;
  for await (const c of llm.complete(prompt, { temperature: 0, maxTokens: 1, logitBias: NO_END_BIAS }))
    if (c.type === "text" && !first) first = performance.now();
  stop.abort();
  await streaming;
  const inside = times.filter((t) => t > asked && t < first);
  const edges = [asked, ...inside, first];
  return {
    maxGapMs: Math.max(...edges.slice(1).map((t, i) => t - edges[i])),
    tokensDuring: inside.length,
    ttftMs: first - asked,
  };
}

const settings = ["off", values.stall!];
const outcomes: Record<string, Outcome[]> = Object.fromEntries(settings.map((s) => [s, []]));
for (let rep = 0; rep < reps; rep++)
  for (const s of settings) {
    const o = await run(s, rep);
    outcomes[s].push(o);
    log(
      `rep ${rep + 1}/${reps} stall ${s}: longest gap ${o.maxGapMs.toFixed(0)} ms, ${o.tokensDuring} tokens during the prefill, TTFT ${o.ttftMs.toFixed(0)} ms`,
    );
  }
await llm.dispose();

const summary = Object.fromEntries(
  settings.map((s) => [
    s,
    {
      maxGapMs: median(outcomes[s].map((o) => o.maxGapMs)),
      tokensDuring: median(outcomes[s].map((o) => o.tokensDuring)),
      ttftMs: median(outcomes[s].map((o) => o.ttftMs)),
    },
  ]),
);
if (values.json) {
  process.stdout.write(`${JSON.stringify({ model: values.model, promptTokens, threads, reps, outcomes, summary }, null, 2)}\n`);
} else {
  const off = summary.off;
  const on = summary[values.stall!];
  process.stdout.write(
    `model ${values.model}, ${threads} threads, a ${promptTokens}-token prompt beside a stream, median of ${reps}\n` +
      `prompts fill the batch (off):  stream's longest gap ${off.maxGapMs.toFixed(0)} ms, ${off.tokensDuring} tokens during the prefill; prompt TTFT ${off.ttftMs.toFixed(0)} ms\n` +
      `pieces cut to ${values.stall} ms:         stream's longest gap ${on.maxGapMs.toFixed(0)} ms, ${on.tokensDuring} tokens during the prefill; prompt TTFT ${on.ttftMs.toFixed(0)} ms\n` +
      `the stream's longest gap ${(off.maxGapMs / on.maxGapMs).toFixed(2)}x shorter, the prompt's TTFT ${(on.ttftMs / off.ttftMs).toFixed(2)}x\n`,
  );
}
