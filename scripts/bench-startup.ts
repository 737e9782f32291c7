// npm run bench:startup [-- --runs N]: start-up and first-answer times of the compiled package,
// side by side in one run (the machine may be shared: compare the ratios, not the milliseconds).
//   1. `hearth --help` and `--version` (dist/) against bare `node -e 0`; the same help from the
//      sources through tsx, as every start was before the package was compiled
//   2. `hearth infer <tiny> -p hi --max-tokens 4` end to end against a plain node-llama-cpp script
//      doing the same (load, chat, 4 tokens, exit)
//   3. the server's first answer from a model it has not loaded (runner start, plan, load, 4 tokens)
//      against the same script, and an SDK load in a runner process against one in-process
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

// scripts are files, not `node -e`: node-llama-cpp forks its binary test with this process's
// execArgv, which for -e would be the script again. In .cache/ so that imports resolve from the repo.
const scripts = path.join(root, ".cache", "bench-startup");
mkdirSync(scripts, { recursive: true });
function scriptFile(name: string, code: string): string {
  const file = path.join(scripts, name);
  writeFileSync(file, code);
  return file;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeProcess(args: string[], extraEnv: NodeJS.ProcessEnv = {}): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...env, ...extraEnv }, encoding: "utf8", timeout: 300_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return ms;
}

// the plain node-llama-cpp script: what a user would write without hearth, on the CPU as hearth runs
// here (gpu: false, the prebuilt binaries), 1 thread as hearth is told; it disposes so it can exit
const plainScript = (model: string) => `
import { getLlama, LlamaChatSession } from "node-llama-cpp";
const llama = await getLlama({ gpu: false, build: "never" });
const model = await llama.loadModel({ modelPath: ${JSON.stringify(model)} });
const context = await model.createContext({ threads: 1 });
const session = new LlamaChatSession({ contextSequence: context.getSequence() });
process.stdout.write(await session.prompt("hi", { maxTokens: 4, temperature: 0 }));
await context.dispose();
await model.dispose();
await llama.dispose();
`;

/** The server's answer from a model it has not loaded: a server with --keep-alive 0 unloads the
 *  model after each request, so the second request pays runner start, plan, load and 4 tokens. */
async function serverFirstAnswer(model: string): Promise<number> {
  const args = [bin, "serve", model, "--port", "0", "--threads", "1", "--parallel", "1", "--keep-alive", "0", "--quiet"];
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const id = path.basename(model, ".gguf");
  try {
    const address = () => /hearth serving on (http:\/\/[\d.]+:\d+)/.exec(out)?.[1];
    while (!address()) await new Promise((r) => setTimeout(r, 20));
    const base = address()!;
    const resident = async () => {
      const h = (await (await fetch(`${base}/health`)).json()) as { models: Array<{ id: string; state: string }> };
      return h.models.find((m) => m.id === id)?.state;
    };
    const ask = async () => {
      const r = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: id, messages: [{ role: "user", content: "hi" }], max_tokens: 4, temperature: 0 }),
      });
      if (r.status !== 200) throw new Error(`server answered ${r.status}: ${await r.text()}`);
      await r.json();
    };
    await ask(); // waits for the preload, then the model goes idle and is unloaded
    const deadline = Date.now() + 60_000;
    while (["ready", "loading", "unloading"].includes((await resident()) ?? "")) {
      if (Date.now() > deadline) throw new Error("the model was not unloaded after --keep-alive 0");
      await new Promise((r) => setTimeout(r, 50));
    }
    const t0 = performance.now();
    await ask();
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
  const file = scriptFile(`sdk-load-${isolate ? "runner" : "in-process"}.mjs`, sdkLoad(model, isolate));
  const r = spawnSync(process.execPath, [file], { cwd: root, env, encoding: "utf8", timeout: 300_000 });
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

const plainFile = scriptFile("plain-node-llama-cpp.mjs", plainScript(tiny));
const samples: Record<string, number[]> = {};
const add = (k: string, v: number) => {
  samples[k] = [...(samples[k] ?? []), v];
};
for (let i = 0; i < runs; i++) {
  console.error(`run ${i + 1}/${runs}`);
  add("node -e 0", timeProcess(["-e", "0"]));
  add("hearth --help", timeProcess([bin, "--help"]));
  add("hearth --version", timeProcess([bin, "--version"]));
  add("hearth --help from sources (tsx)", timeProcess([bin, "--help"], { HEARTH_FROM_SOURCE: "1" }));
  add("plain node-llama-cpp script", timeProcess([plainFile]));
  add(
    "hearth infer (CLI, end to end)",
    timeProcess([bin, "infer", tiny, "-p", "hi", "--max-tokens", "4", "-t", "1", "--temperature", "0"]),
  );
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
console.log(
  `  server first answer      ${ratio("server first answer, model not loaded", "plain node-llama-cpp script")} (goal: within 2x)`,
);
console.log(`  runner load              ${ratio("SDK load in a runner process", "SDK load in-process")}`);
