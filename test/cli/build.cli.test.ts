// `hearth build` for real: compiles ggml's CPU library with OpenMP from the source node-llama-cpp
// ships, keeps it under HEARTH_HOME, measures it against the prebuilt in processes of their own,
// and the llama engine then runs on it where that measurement (or HEARTH_LLAMA_BUILD=local) says,
// with the same greedy text as the prebuilt. Bad input fails before any compiling.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import os from "node:os";
import path from "node:path";
import { repoRoot, runHearth } from "../helpers/cli.ts";
import { ensureFixture } from "../../fixtures/index.ts";
import { NO_END_BIAS } from "../../fixtures/vocab.ts";
import type { CpuLibraryInfo } from "../../src/backends/llama/cpuLibrary.ts";

const execFileAsync = promisify(execFile);
const supported = process.platform === "linux" && process.arch === "x64";
const tools = ["git", "cmake", "c++"].every((t) => spawnSync(t, ["--version"], { stdio: "ignore" }).status === 0);
const skip = !supported ? "hearth build makes CPU libraries on x86-64 Linux" : !tools ? "git, cmake and a C++ compiler are needed" : false;

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-build-"));
const env = { HEARTH_HOME: home };
let model: string;

before(async () => {
  model = await ensureFixture("tiny");
});

test("bad input fails at once: a model that is not there, a bad job count", { skip }, async () => {
  const missing = await runHearth(["build", "--model", path.join(home, "no-such.gguf")], { env });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no-such\.gguf/);
  assert.doesNotMatch(missing.stderr, /compiling/, "nothing compiled for a model that is not there");
  const jobs = await runHearth(["build", "--jobs", "0"], { env });
  assert.equal(jobs.code, 2);
  assert.match(jobs.stderr, /--jobs must be an integer of at least 1, got "0"/);
});

test("without git, cmake or a compiler it says which are missing", { skip }, async () => {
  // a PATH with node alone in it: the variant probe runs, the build cannot
  const bare = mkdtempSync(path.join(os.tmpdir(), "hearth-bare-path-"));
  symlinkSync(process.execPath, path.join(bare, "node"));
  const r = await runHearth(["build", "--no-measure"], { env: { ...env, PATH: bare } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /hearth build needs .*cmake/);
  assert.match(r.stderr, /apt-get install git cmake build-essential/);
});

test("compiles the library, measures it against the prebuilt, and the engine uses it as measured", { skip }, async () => {
  const r = await runHearth(["build", "--model", model, "--json"], { env, timeoutMs: 1_500_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    library: string;
    variant: string;
    reused: boolean;
    info: CpuLibraryInfo;
    trials: { build: string; threads: number; decode?: number; error?: string }[];
    usedByAuto: boolean;
  };
  assert.equal(out.reused, false);
  assert.ok(existsSync(out.library) && out.library.startsWith(home), out.library);
  assert.equal(path.basename(out.library), `libggml-cpu-${out.variant}.so`);
  // it names its dependency as the prebuilt's libraries are named, and runs its threads with OpenMP
  const deps = spawnSync("readelf", ["-d", out.library], { encoding: "utf8" }).stdout;
  if (deps) {
    assert.match(deps, /NEEDED.*\[libggml-base\.so\]/);
    assert.match(deps, /NEEDED.*\[libgomp\.so\.1\]/);
  }
  assert.ok(out.info.buildSeconds > 0);
  console.log(`hearth build: ${out.variant} compiled in ${out.info.buildSeconds} s; decode ${JSON.stringify(out.trials)}`);
  // every trial ran, on the build it names
  assert.ok(out.trials.length >= 2 && out.trials.every((t) => !t.error && (t.decode ?? 0) > 0), JSON.stringify(out.trials));
  const m = out.info.measured!;
  assert.equal(out.usedByAuto, m.libraryDecode > m.prebuiltDecode);
  const stored = JSON.parse(readFileSync(path.join(path.dirname(out.library), "build.json"), "utf8")) as CpuLibraryInfo;
  assert.deepEqual(stored.measured, m);

  // the engine: "local" runs the library, "prebuilt" the prebuilt, "auto" what was measured faster;
  // the same greedy text on each (same source, same kernels)
  // each in a process of its own: a process holds one CPU build of llama.cpp
  const infer = async (build: string, threads = 1, pool?: string, extraEnv: NodeJS.ProcessEnv = {}) => {
    const script = `
      import { LLM } from ${JSON.stringify(pathToFileURL(path.join(repoRoot, "src/index.ts")).href)};
      const llm = await LLM.load(process.argv[2], { device: "cpu", threads: Number(process.argv[3]), contextSize: 256 });
      const r = await llm.complete("Once upon a time", { maxTokens: 12, temperature: 0, logitBias: ${JSON.stringify(NO_END_BIAS)} }).result;
      console.log(JSON.stringify({ text: r.text, tokens: r.usage.completionTokens, settings: llm.info.settings }));
      await llm.dispose();`;
    // a file, not -e: node-llama-cpp tests its binaries in a child started with this process's arguments
    const file = path.join(home, "load.mts");
    writeFileSync(file, script);
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, HEARTH_LLAMA_BUILD: build, ...extraEnv };
    if (pool === undefined) delete childEnv.UV_THREADPOOL_SIZE;
    else childEnv.UV_THREADPOOL_SIZE = pool;
    const x = await execFileAsync(process.execPath, ["--import", "tsx", file, model, String(threads)], { cwd: repoRoot, env: childEnv });
    return JSON.parse(x.stdout.trim().split("\n").pop()!) as { text: string; tokens: number; settings?: Record<string, unknown> };
  };
  const [local, prebuilt, auto] = [await infer("local"), await infer("prebuilt"), await infer("auto")];
  assert.equal(local.settings?.llamaBuild, "hearth-build");
  assert.equal(prebuilt.settings?.llamaBuild, "prebuilt");
  assert.equal(auto.settings?.llamaBuild, out.usedByAuto ? "hearth-build" : "prebuilt");
  if (!out.usedByAuto) assert.match(String(auto.settings?.llamaBuildNote), /measured its CPU library slower/);
  // every run makes its 12 tokens (no end token can be picked), the same on both builds
  assert.deepEqual([local.tokens, prebuilt.tokens, auto.tokens], [12, 12, 12]);
  assert.equal(local.text, prebuilt.text);
  // without the thread helper, on several threads in a process with libuv's default pool, the load
  // says why decode is slower there than in a runner, and how to avoid it; with one pool thread it
  // says nothing of it, nor with the helper's decode thread (the library's OpenMP workers persist
  // already, so it attaches no pool there)
  const off = { HEARTH_LLAMA_THREAD_HELPER: "off" };
  const [pooled, single, helped] = [await infer("local", 2, undefined, off), await infer("local", 2, "1", off), await infer("local", 2)];
  if (Number(pooled.settings?.threads) >= 2) assert.match(String(pooled.settings?.llamaBuildNote), /UV_THREADPOOL_SIZE=1/);
  assert.doesNotMatch(String(single.settings?.llamaBuildNote), /UV_THREADPOOL_SIZE/);
  assert.doesNotMatch(String(helped.settings?.llamaBuildNote), /UV_THREADPOOL_SIZE/);
  assert.equal(helped.settings?.decodeThread, "own");
  assert.equal(helped.settings?.threadPool, undefined);
  assert.equal(prebuilt.settings?.threadPool, "persistent", String(prebuilt.settings?.threadPoolNote));

  // a second run reuses the library (no compile) and measures again only when asked for a model
  const again = await runHearth(["build", "--no-measure"], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /using the library built/);
  assert.doesNotMatch(again.stderr, /compiling/);
});
