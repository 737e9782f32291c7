// npm run bench:startup [-- --runs N]: start-up and first-answer times of the compiled package,
// side by side in one run (the machine may be shared: compare the ratios, not the milliseconds).
//   1. `hearth --help` and `--version` (dist/) against bare `node -e 0`; the same help from the
//      sources through tsx, as every start was before the package was compiled
//   2. `hearth infer <tiny> -p hi --max-tokens 4` end to end against a plain node-llama-cpp script
//      doing the same (load, chat, 4 tokens, exit)
//   3. the server's first answer from a model it has not loaded (runner start, plan, load, 4 tokens)
//      against the same script, and an SDK load in a runner process against one in-process
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureFixture } from "../fixtures/index.ts";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "bin/hearth.js");
const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
const runs = Number(values.runs);
const home = mkdtempSync(path.join(os.tmpdir(), "hearth-bench-startup-"));
const env: NodeJS.ProcessEnv = { ...process.env, HEARTH_HOME: home, NO_COLOR: "1", HEARTH_API_KEY: "" };
delete env.HEARTH_FROM_SOURCE;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeProcess(args: string[], extraEnv: NodeJS.ProcessEnv = {}): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...env, ...extraEnv }, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return ms;
}

// the plain node-llama-cpp script: what a user would write without hearth (1 thread, as hearth is told)
const plainScript = (model: string) => `
import { getLlama, LlamaChatSession } from "node-llama-cpp";
const llama = await getLlama();
const model = await llama.loadModel({ modelPath: ${JSON.stringify(model)} });
const context = await model.createContext({ threads: 1 });
const session = new LlamaChatSession({ contextSequence: context.getSequence() });
process.stdout.write(await session.prompt("hi", { maxTokens: 4, temperature: 0 }));
`;

async function serverFirstAnswer(model: string): Promise<number> {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--threads", "1", "--parallel", "1", "--quiet"], { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  try {
    let base: string | undefined;
    while (!(base = /hearth serving on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1])) await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const r = await fetch(`${base}/v1/chat/completions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 4, temperature: 0 }),
    });
    if (r.status !== 200) throw new Error(`server answered ${r.status}: ${await r.text()}`);
    await r.json();
    return performance.now() - t0;
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

const sdkLoad = (model: string, isolate: boolean) => `
import { LLM } from ${JSON.stringify(path.join(root, "dist/index.js"))};
const t0 = performance.now();
const llm = await LLM.load(${JSON.stringify(model)}, { isolate: ${isolate}, threads: 1 });
const loaded = performance.now() - t0;
const r = await llm.complete("hi", { maxTokens: 4, temperature: 0 }).result;
console.log(JSON.stringify({ loaded, answered: performance.now() - t0, tokens: r.usage.completionTokens }));
await llm.dispose();
`;

function sdkRun(model: string, isolate: boolean): { loaded: number; answered: number } {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", sdkLoad(model, isolate)], { cwd: root, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`SDK load (isolate ${isolate}) failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { loaded: number; answered: number };
}

console.error("building dist/ ...");
const build = spawnSync(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
if (build.status !== 0) process.exit(1);
const tiny = await ensureFixture("tiny");
const cpu = (spawnSync("lscpu", { encoding: "utf8" }).stdout.match(/Model name:\s*(.+)/)?.[1] ?? os.cpus()[0]?.model ?? "unknown").trim();

// warm-up: the OS file cache, and hearth's machine probe cached under HEARTH_HOME (a first start probes GPUs)
const t0 = performance.now();
timeProcess([bin, "infer", tiny, "-p", "hi", "--max-tokens", "4", "-t", "1", "--temperature", "0"]);
const firstEver = performance.now() - t0;

const samples: Record<string, number[]> = {};
const add = (k: string, v: number) => (samples[k] ??= []).push(v);
for (let i = 0; i < runs; i++) {
  console.error(`run ${i + 1}/${runs}`);
  add("node -e 0", timeProcess(["-e", "0"]));
  add("hearth --help", timeProcess([bin, "--help"]));
  add("hearth --version", timeProcess([bin, "--version"]));
  add("hearth --help from sources (tsx)", timeProcess([bin, "--help"], { HEARTH_FROM_SOURCE: "1" }));
  add("plain node-llama-cpp script", timeProcess(["--input-type=module", "-e", plainScript(tiny)]));
  add("hearth infer (CLI, end to end)", timeProcess([bin, "infer", tiny, "-p", "hi", "--max-tokens", "4", "-t", "1", "--temperature", "0"]));
  add("server first answer, model not loaded", await serverFirstAnswer(tiny));
  const inProc = sdkRun(tiny, false);
  const runner = sdkRun(tiny, true);
  add("SDK load in-process", inProc.loaded);
  add("SDK load in a runner process", runner.loaded);
}
rmSync(home, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
const ratio = (a: string, b: string) => `${(m[a]! / m[b]!).toFixed(2)}x ${b}`;
console.log(`CPU: ${cpu}; ${os.cpus().length} logical CPUs; node ${process.version}; ${runs} runs, medians (ms)`);
for (const [k, v] of Object.entries(m)) console.log(`${k.padEnd(40)} ${v.toFixed(0).padStart(6)} ms`);
console.log(`first hearth infer in a fresh HEARTH_HOME (probes the machine): ${firstEver.toFixed(0)} ms`);
console.log("ratios:");
console.log(`  hearth --help            ${ratio("hearth --help", "node -e 0")} (goal: within 6x)`);
console.log(`  hearth --help (sources)  ${ratio("hearth --help from sources (tsx)", "node -e 0")}`);
console.log(`  hearth infer             ${ratio("hearth infer (CLI, end to end)", "plain node-llama-cpp script")} (goal: within 1.5x)`);
console.log(`  server first answer      ${ratio("server first answer, model not loaded", "plain node-llama-cpp script")} (goal: within 2x)`);
console.log(`  runner load              ${ratio("SDK load in a runner process", "SDK load in-process")}`);
