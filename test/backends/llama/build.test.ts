// Which llama.cpp binaries run a text model on the CPU: the local OpenMP build where
// `npm run build:llama` made one (with this CPU's instruction sets only), the prebuilt otherwise,
// and a load or HEARTH_LLAMA_BUILD can force either.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadBackend } from "../../../src/backends/registry.ts";
import { localBuildCmakeOptions } from "../../../src/backends/llama/localBuild.ts";
import { buildChoice } from "../../../src/backends/llama/llamaInstance.ts";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { OPENMP_SPIN_COUNT, preferActiveOpenMpWait, readEnv } from "../../../src/config/env.ts";
import type { ModelFiles } from "../../../src/model/types.ts";
import { HearthError } from "../../../src/errors/HearthError.ts";
import { ensureFixture } from "../../../fixtures/index.ts";

const execFileAsync = promisify(execFile);

async function tiny(): Promise<ModelFiles> {
  const primary = await ensureFixture("tiny");
  return { dir: path.dirname(primary), primary, format: "gguf", type: "llm" };
}

test("the local build turns on only the instruction sets the CPU reports", () => {
  const avx2Only = localBuildCmakeOptions("processor : 0\nflags : fpu sse sse2 avx avx2 fma f16c bmi2\n");
  assert.equal(avx2Only.GGML_OPENMP, "ON");
  assert.equal(avx2Only.GGML_NATIVE, "OFF");
  assert.equal(avx2Only.GGML_AVX2, "ON");
  assert.equal(avx2Only.GGML_AVX512, "OFF");
  assert.equal(avx2Only.GGML_AVX512_VNNI, "OFF");
  const avx512 = localBuildCmakeOptions("flags : avx avx2 fma f16c bmi2 avx512f avx512vbmi avx512_vnni avx512_bf16 amx_tile\n");
  assert.equal(avx512.GGML_AVX512, "ON");
  assert.equal(avx512.GGML_AVX512_BF16, "ON");
  assert.equal(avx512.GGML_AMX_INT8, undefined, "AMX stays off: its kernels crashed on the development VM");
  // no x86 flags (another architecture): only the threading options
  assert.deepEqual(localBuildCmakeOptions(""), { GGML_OPENMP: "ON", GGML_NATIVE: "OFF" });
});

test("the build choice: a load's extra.llamaBuild, else HEARTH_LLAMA_BUILD, else auto; a bad value is refused", () => {
  assert.equal(buildChoice("prebuilt"), "prebuilt");
  assert.equal(buildChoice("local"), "local");
  assert.equal(buildChoice(undefined), readEnv().llamaBuild);
  assert.equal(readEnv({}).llamaBuild, "auto");
  assert.equal(readEnv({ HEARTH_LLAMA_BUILD: "prebuilt" }).llamaBuild, "prebuilt");
  assert.throws(
    () => buildChoice("fast"),
    (e: unknown) => e instanceof HearthError && e.code === "bad_input" && /"auto", "local" or "prebuilt"/.test(e.message),
  );
});

test("a load says which build runs it, and why not the local one where it is not", async () => {
  const backend = await loadBackend("llama");
  const files = await tiny();
  const auto = await backend.load(files, { device: "cpu", threads: 1, contextSize: 128 });
  const prebuilt = await backend.load(files, { device: "cpu", threads: 1, contextSize: 128, extra: { llamaBuild: "prebuilt" } });
  try {
    const s = auto.info.settings;
    if (s.llamaBuild === "prebuilt") assert.match(String(s.llamaBuildNote), /local llama\.cpp build/);
    else assert.equal(s.llamaBuild, "local");
    assert.equal(prebuilt.info.settings.llamaBuild, "prebuilt");
    assert.equal(prebuilt.info.settings.llamaBuildNote, undefined);
    // both answer, the same greedy text (same llama.cpp source, same weights)
    const ask = async (m: typeof auto) => {
      let text = "";
      for await (const e of m.run({ task: "complete", prompt: "Once upon a time", sampling: { temperature: 0, maxTokens: 12 } })) {
        if (e.type === "text") text += e.text;
      }
      return text;
    };
    assert.equal(await ask(prebuilt), await ask(auto));
  } finally {
    await auto.dispose();
    await prebuilt.dispose();
  }
  await assert.rejects(
    backend.load(files, { device: "cpu", contextSize: 128, extra: { llamaBuild: "fastest" } }),
    (e: unknown) => e instanceof HearthError && e.code === "bad_input",
  );
});

test("hearth asks libgomp for an active but bounded wait, and leaves a policy the user set alone", () => {
  const fresh: NodeJS.ProcessEnv = {};
  preferActiveOpenMpWait(fresh);
  assert.deepEqual(fresh, { OMP_WAIT_POLICY: "active", GOMP_SPINCOUNT: OPENMP_SPIN_COUNT });
  const spin: NodeJS.ProcessEnv = { GOMP_SPINCOUNT: "1000" };
  preferActiveOpenMpWait(spin);
  assert.deepEqual(spin, { OMP_WAIT_POLICY: "active", GOMP_SPINCOUNT: "1000" });
  const passive: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: "passive" };
  preferActiveOpenMpWait(passive);
  assert.deepEqual(passive, { OMP_WAIT_POLICY: "passive" });
});

test("a loaded model that has answered leaves the CPU idle (no OpenMP worker keeps spinning)", async () => {
  const primary = await ensureFixture("tiny");
  // a child process, so that libgomp reads the wait settings hearth makes (it reads them once, at
  // load); two threads, so that the prompt's batch starts an OpenMP team on the local build
  const script = `
    const { LLM } = await import(${JSON.stringify(pathToFileURL(path.resolve("src/sdk/LLM.ts")).href)});
    const llm = await LLM.load(${JSON.stringify(primary)}, { device: "cpu", threads: 2, contextSize: 256 });
    await llm.complete("Once upon a time there was", { temperature: 0, maxTokens: 4 }).result;
    await new Promise((r) => setTimeout(r, 300));
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 1500));
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ build: llm.info.settings?.llamaBuild, idleCpuMs: (c.user + c.system) / 1000 }));
    await llm.dispose();`;
  const env = { ...process.env };
  delete env.OMP_WAIT_POLICY;
  delete env.GOMP_SPINCOUNT;
  // a script file, not -e: node-llama-cpp tests its prebuilt binary in a child that inherits the
  // flags, and --input-type would make that child refuse its file
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "hearth-idle-")), "idle.mts");
  writeFileSync(file, script);
  const { stdout } = await execFileAsync(process.execPath, ["--import", "tsx", file], { env, cwd: path.resolve(".") });
  const r = JSON.parse(stdout.trim().split("\n").at(-1)!) as { build: string; idleCpuMs: number };
  // a spinning worker would use the whole 1.5 s (measured: 1500 ms on the local build before the bound)
  assert.ok(r.idleCpuMs < 300, `idle for 1.5 s after a request, the process (${r.build} build) used ${r.idleCpuMs.toFixed(0)} ms of CPU`);
});

test("a llama runner process starts with one libuv pool thread, unless the user set a count", {
  skip: process.platform !== "linux",
}, async () => {
  const { loadModel } = await import("../../../src/runtime/load.ts");
  const { readFileSync } = await import("node:fs");
  const files = await tiny();
  const poolSize = async () => {
    const m = await loadModel(files, { isolate: true, threads: 1, contextSize: 128, modelName: "tiny" });
    try {
      const env = readFileSync(`/proc/${m.runnerPid}/environ`, "utf8").split("\0");
      return env.find((v) => v.startsWith("UV_THREADPOOL_SIZE="));
    } finally {
      await m.dispose();
    }
  };
  const before = process.env.UV_THREADPOOL_SIZE;
  delete process.env.UV_THREADPOOL_SIZE;
  try {
    assert.equal(await poolSize(), "UV_THREADPOOL_SIZE=1");
    process.env.UV_THREADPOOL_SIZE = "3";
    assert.equal(await poolSize(), "UV_THREADPOOL_SIZE=3");
  } finally {
    if (before === undefined) delete process.env.UV_THREADPOOL_SIZE;
    else process.env.UV_THREADPOOL_SIZE = before;
  }
});
