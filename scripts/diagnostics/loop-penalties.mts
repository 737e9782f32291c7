// A diagnostic, not part of hearth: decode speed with `hearth infer`'s default penalties (repeat 1.1,
// presence and frequency 0.5) on the bench fixture, the native token loop against node-llama-cpp's loop,
// alternating, three rounds. Run: npx tsx scripts/diagnostics/loop-penalties.mts [threads]
import { LLM } from "../../src/sdk/LLM.ts";
import { ensureFixture } from "../../fixtures/index.ts";
import { NO_END_BIAS } from "../../fixtures/vocab.ts";
const threads = Number(process.argv[2] ?? 2);
const llm = await LLM.load(await ensureFixture("bench"), { threads, contextSize: 1024 });
const s = { temperature: 0.8, seed: 1, topK: 40, topP: 0.95, maxTokens: 128, repeatPenalty: 1.1, presencePenalty: 0.5, frequencyPenalty: 0.5, logitBias: NO_END_BIAS };
const out: Record<string, number[]> = { loop: [], off: [] };
await llm.complete("warm up", { ...s, maxTokens: 8 }).result;
for (let i = 0; i < 3; i++) for (const mode of ["loop", "off"]) {
  if (mode === "off") process.env.HEARTH_LLAMA_TOKEN_LOOP = "off"; else delete process.env.HEARTH_LLAMA_TOKEN_LOOP;
  const r = await llm.complete(`Story number ${i} begins`, s).result;
  out[mode].push(Math.round((r.profile.decodeTokensPerSec ?? 0) * 10) / 10);
}
console.log(JSON.stringify({ threads, ...out, settings: llm.info.settings }));
await llm.dispose();
