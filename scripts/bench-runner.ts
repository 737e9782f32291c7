// The cost of running a model in a runner process: decode speed of the same generation in this
// process and through the IPC hop, on the tiny fixture (where per-token overhead dominates), and
// the per-token difference. Usage: npx tsx scripts/bench-runner.ts [--tokens 200] [--runs 3] [--backend llama]
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../fixtures/index.ts";
import type { ModelFiles, TaskEvent } from "../src/backends/types.ts";
import { loadModel } from "../src/runtime/load.ts";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const tokens = Number(arg("tokens", "200"));
const runs = Number(arg("runs", "3"));
const backend = arg("backend", "llama");
const home = mkdtempSync(path.join(os.tmpdir(), "hearth-bench-runner-"));
const primary = await ensureFixture("tiny");
const files: ModelFiles = { dir: path.dirname(primary), primary, format: "gguf", type: "llm" };

async function measure(isolate: boolean) {
  const model = await loadModel(files, { isolate, backend, threads: 1, contextSize: 512, home });
  const speeds: number[] = [];
  let events = 0;
  let generated = 0;
  try {
    for (let i = 0; i < runs + 1; i++) {
      const t0 = performance.now();
      let first: number | undefined;
      let n = 0;
      let result: TaskEvent | undefined;
      for await (const e of model.run({ task: "complete", prompt: "Once upon a time", sampling: { temperature: 0, maxTokens: tokens, seed: 1, logitBias: {} } })) {
        if (e.type === "text") {
          first ??= performance.now();
          n++;
        }
        if (e.type === "result") result = e;
      }
      const end = performance.now();
      const completion = (result as { result: { usage: { completionTokens: number } } }).result.usage.completionTokens;
      if (i === 0) continue; // warm-up
      events += n;
      generated += completion;
      speeds.push((completion - 1) / ((end - (first ?? t0)) / 1000));
    }
  } finally {
    await model.dispose();
  }
  speeds.sort((a, b) => a - b);
  return { median: speeds[Math.floor(speeds.length / 2)], speeds, eventsPerRun: events / runs, tokensPerRun: generated / runs };
}

const inProcess = await measure(false);
const isolated = await measure(true);
const overheadUs = (1 / isolated.median - 1 / inProcess.median) * 1e6;
console.log(JSON.stringify({
  backend, fixture: "tiny", threads: 1, tokens, runs,
  inProcessTokPerSec: +inProcess.median.toFixed(1),
  runnerTokPerSec: +isolated.median.toFixed(1),
  perTokenOverheadUs: +overheadUs.toFixed(1),
  textEventsPerRun: isolated.eventsPerRun,
  tokensPerRun: isolated.tokensPerRun,
}, null, 2));
