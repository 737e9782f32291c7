// Which llama.cpp binaries run a text model on the CPU: the local OpenMP build where
// `npm run build:llama` made one (with this CPU's instruction sets only), the prebuilt otherwise,
// and a load or HEARTH_LLAMA_BUILD can force either.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadBackend } from "../../../src/backends/registry.ts";
import { localBuildCmakeOptions } from "../../../src/backends/llama/localBuild.ts";
import { buildChoice } from "../../../src/backends/llama/llamaInstance.ts";
import { readEnv } from "../../../src/config/env.ts";
import type { ModelFiles } from "../../../src/backends/types.ts";
import { HearthError } from "../../../src/errors/HearthError.ts";
import { ensureFixture } from "../../../fixtures/index.ts";

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
  assert.throws(() => buildChoice("fast"), (e: unknown) => e instanceof HearthError && e.code === "bad_input" && /"auto", "local" or "prebuilt"/.test(e.message));
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
  await assert.rejects(backend.load(files, { device: "cpu", contextSize: 128, extra: { llamaBuild: "fastest" } }), (e: unknown) => e instanceof HearthError && e.code === "bad_input");
});
