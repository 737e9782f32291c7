// experiment (not committed): SDK decode/prefill on a fixture, N threads
import { LLM } from "../src/sdk/LLM.ts";
import { ensureFixture, type PresetName } from "../fixtures/index.ts";
const [preset = "bench", t = "2", gen = "64", reps = "3"] = process.argv.slice(2);
const model = await ensureFixture(preset as PresetName);
const llm = await LLM.load(model, {
  backend: "llama",
  device: "cpu",
  threads: Number(t),
  contextSize: 1024,
  extra: { llamaBuild: "prebuilt" },
} as never);
const bias: Record<number, number> = {};
for (const s of ["</s>", "<|im_end|>", "<|endoftext|>"]) {
  const ids = await llm.tokenize(s);
  if (ids.length <= 2) bias[ids[ids.length - 1]] = -Infinity;
}
const out: string[] = [];
for (let i = 0; i < Number(reps); i++) {
  const r = await llm.complete(`Hello world ${i} `.repeat(40), { temperature: 0, maxTokens: Number(gen), logitBias: bias }).result;
  out.push(
    `decode ${r.profile.decodeTokensPerSec?.toFixed(1)} prefill ${r.profile.prefillTokensPerSec?.toFixed(1)} dt=${llm.info.settings.decodeThreads}`,
  );
}
console.log(preset, `t${t}`, out.join(" | "));
await llm.dispose();
