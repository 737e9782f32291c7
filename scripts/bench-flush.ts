// npm run bench:flush -- [--model bench] [--windows 0,15,30] [--reps 10] [--gen 160] [--prompt TEXT] [--threads N] [--json]
//
// The runner's flush window (HEARTH_STREAM_FLUSH_MS, runtime/runnerEntry.ts) measured on this machine:
// one server per window, each with its model in a runner process started with that window, all in this
// process; one streamed completion per server per rep, the servers' order turning each rep, so load
// from other processes falls on all alike. A whole bench:server run moves more with the machine than
// with the window; pairs of requests a few seconds apart do not.
//
// Per window: decode tok/s and TTFT (medians), each rep's decode against the first window's in the
// same rep (the median ratio, and in how many reps it was ahead), and the client's bursts: text chunks
// arriving within a millisecond of the one before count as one burst (one IPC message, one socket
// read). Greedy, end tokens banned, so every run makes `gen` tokens. Times from the client: TTFT =
// first text chunk - request start; decode tok/s = (tokens - 1) / (last chunk - first chunk).
import { parseArgs } from "node:util";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildServer } from "../src/server/app.ts";
import { physicalCores } from "../src/devices/cpuCores.ts";
import { ensureFixture, type PresetName } from "../fixtures/index.ts";
import { NO_END_LOGIT_BIAS } from "../fixtures/vocab.ts";
import { decodeSpeed, median, PROMPTS, streamCompletion, type Run } from "./streamRuns.ts";
import { withEnv } from "../test/helpers/env.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "bench" },
    windows: { type: "string", default: "0,15,30" },
    reps: { type: "string", default: "10" },
    gen: { type: "string", default: "160" },
    prompt: { type: "string", default: "Once upon a time" },
    threads: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const windows = values.windows.split(",").map((w) => w.trim());
if (windows.length < 2 || windows.some((w) => !/^\d+$/.test(w))) {
  process.stderr.write(
    `--windows takes two or more whole milliseconds, comma-separated (0 sends each token alone), not "${values.windows}"\n`,
  );
  process.exit(2);
}
const reps = Number(values.reps);
const gen = Number(values.gen);
const threads = Number(values.threads ?? physicalCores());
if (!(reps >= 1) || !(gen >= 2)) {
  process.stderr.write("--reps takes 1 or more and --gen 2 or more\n");
  process.exit(2);
}
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};
process.env.HEARTH_HOME ??= mkdtempSync(path.join(os.tmpdir(), "hearth-bench-flush-"));
const modelFile = await ensureFixture(values.model as PresetName);

/** A server whose runner reads HEARTH_STREAM_FLUSH_MS=`window` (a runner takes this process's
 * environment when it starts, which the preload does before `ready`). */
async function serverWith(window: string) {
  return withEnv("HEARTH_STREAM_FLUSH_MS", window, async () => {
    const app = await buildServer({
      models: [modelFile],
      parallel: 1,
      queueLimit: 4,
      load: { threads, contextSize: 1024, backend: "llama", device: "cpu" },
    });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    await app.hearth.ready;
    if (app.hearth.manager.health() !== "ready") throw new Error(`server not ready: ${JSON.stringify(app.hearth.manager.preloadErrors())}`);
    return { window, app, base, modelId: app.hearth.manager.configuredNames()[0].id };
  });
}

/** Text chunks that arrived more than a millisecond after the one before: the client's bursts. */
const bursts = (r: Run) => (r.chunksMs ?? []).filter((t, i, all) => i === 0 || t - all[i - 1] > 1).length;

log(`loading ${values.model} in ${windows.length} servers (flush windows ${windows.join(", ")} ms), ${threads} threads`);
const servers: Awaited<ReturnType<typeof serverWith>>[] = [];
for (const w of windows) servers.push(await serverWith(w));
const run = (s: (typeof servers)[number], prompt: string) =>
  streamCompletion(s.base, { model: s.modelId, prompt, max_tokens: gen, temperature: 0, logit_bias: NO_END_LOGIT_BIAS });

for (const s of servers) await run(s, `${PROMPTS[0]} warm-up`); // first-run allocations
const runs: Run[][] = servers.map(() => []);
for (let rep = 0; rep < reps; rep++) {
  // a start of its own each rep (no cells reused), the same prompt for every server
  const prompt = `${values.prompt} ${PROMPTS[rep % PROMPTS.length]} ${rep}`;
  for (let i = 0; i < servers.length; i++) {
    const k = (rep + i) % servers.length;
    runs[k].push(await run(servers[k], prompt));
  }
  log(
    `rep ${rep + 1}/${reps}: ${servers.map((s, k) => `${s.window} ms ${decodeSpeed(runs[k][rep]).toFixed(1)} tok/s TTFT ${runs[k][rep].ttftMs.toFixed(1)} ms`).join(" | ")}`,
  );
}
for (const s of servers) await s.app.close();

const rows = servers.map((s, k) => {
  const ratios = runs[k].map((r, rep) => decodeSpeed(r) / decodeSpeed(runs[0][rep]));
  return {
    windowMs: Number(s.window),
    decodeTokPerSec: median(runs[k].map(decodeSpeed)),
    ttftMs: median(runs[k].map((r) => r.ttftMs)),
    decodeRatio: median(ratios),
    ahead: ratios.filter((x) => x > 1).length,
    tokensPerBurst: median(runs[k].map((r) => r.tokens / bursts(r))),
    tokens: median(runs[k].map((r) => r.tokens)),
  };
});
const result = { model: values.model, threads, gen, reps, against: Number(windows[0]), rows };
if (values.json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const lines = [
    `model ${values.model}, ${threads} threads, ${gen} tokens, ${reps} reps; decode against the ${windows[0]}-ms window in the same rep`,
    "window  decode tok/s  TTFT ms  decode ratio  ahead  tokens per burst",
    ...rows.map(
      (r, k) =>
        `${`${r.windowMs} ms`.padEnd(8)}${r.decodeTokPerSec.toFixed(1).padEnd(14)}${r.ttftMs.toFixed(1).padEnd(9)}${(k === 0 ? "" : `${r.decodeRatio.toFixed(3)}x`).padEnd(14)}${(k === 0 ? "" : `${r.ahead}/${reps}`).padEnd(7)}${r.tokensPerBurst.toFixed(2)}`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
