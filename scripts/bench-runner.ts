// The cost of running a model in a runner process: decode speed of the same generation in this
// process and through the IPC hop, on the tiny fixture (where per-token overhead dominates), and
// the per-token difference (both loaded at once, measured alternately). Usage: npx tsx scripts/bench-runner.ts [--tokens 200] [--runs 3] [--backend llama]
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../fixtures/index.ts";
import type { ModelFiles } from "../src/model/types.ts";
import type { TaskEvent } from "../src/model/task.ts";
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

async function once(model: Awaited<ReturnType<typeof loadModel>>) {
  const t0 = performance.now();
  let first: number | undefined;
  let events = 0;
  let result: TaskEvent | undefined;
  for await (const e of model.run({
    task: "complete",
    prompt: "Once upon a time",
    sampling: { temperature: 0, maxTokens: tokens, seed: 1 },
  })) {
    if (e.type === "text") {
      first ??= performance.now();
      events++;
    }
    if (e.type === "result") result = e;
  }
  const end = performance.now();
  const completion = (result as { result: { usage: { completionTokens: number } } }).result.usage.completionTokens;
  return { tokPerSec: (completion - 1) / ((end - (first ?? t0)) / 1000), events, completion };
}

// both loaded at once and measured alternately, so a busy machine slows both sides alike; the best
// run of each is the least disturbed one
const inProcess = await loadModel(files, { isolate: false, backend, threads: 1, contextSize: 512, home });
const isolated = await loadModel(files, { isolate: true, backend, threads: 1, contextSize: 512, home });
const a: number[] = [];
const b: number[] = [];
let last = { tokPerSec: 0, events: 0, completion: 0 };
try {
  await once(inProcess);
  await once(isolated);
  for (let i = 0; i < runs; i++) {
    a.push((await once(inProcess)).tokPerSec);
    last = await once(isolated);
    b.push(last.tokPerSec);
  }
} finally {
  await inProcess.dispose();
  await isolated.dispose();
}
const best = (x: number[]) => Math.max(...x);
const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
console.log(
  JSON.stringify(
    {
      backend,
      fixture: "tiny",
      threads: 1,
      tokens,
      runs,
      inProcessTokPerSec: { best: +best(a).toFixed(1), median: +median(a).toFixed(1) },
      runnerTokPerSec: { best: +best(b).toFixed(1), median: +median(b).toFixed(1) },
      perTokenOverheadUsBest: +((1 / best(b) - 1 / best(a)) * 1e6).toFixed(1),
      perTokenOverheadUsMedian: +((1 / median(b) - 1 / median(a)) * 1e6).toFixed(1),
      textEventsPerRun: last.events,
      tokensPerRun: last.completion,
    },
    null,
    2,
  ),
);
