// node-llama-cpp (engine "llama") and llama.node ("llama-mm") each carry their own llama.cpp: in one
// process they crashed it (src/runtime/inProcess.ts), so the second of the pair runs in a runner
// process by itself, and an SDK user who loads both (an LLM and a VLM, say) keeps a working process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { LLM } from "../../src/sdk/LLM.ts";

process.env.HEARTH_HOME = mkdtempSync(path.join(os.tmpdir(), "hearth-two-engines-"));

test("the second llama.cpp binding goes to a runner process; both answer side by side; the first stays here", async () => {
  const model = await ensureFixture("tiny");
  const here = await LLM.load(model, { backend: "llama", threads: 1, contextSize: 256 });
  // isolate: false asks for this process; the conflict overrules it
  const other = await LLM.load(model, { backend: "llama-mm", threads: 1, contextSize: 256, isolate: false });
  const again = await LLM.load(model, { backend: "llama", threads: 1, contextSize: 256 });
  try {
    assert.equal(here.info.settings.isolated, undefined, "the first engine loads into this process");
    assert.equal(other.info.backend, "llama-mm");
    assert.equal(other.info.settings.isolated, true, "llama-mm beside llama runs in a runner");
    assert.equal(again.info.settings.isolated, undefined, "another model on the same engine stays here");
    // the load that crashed a shared process (8 of 10 runs at 450 requests; this is a shorter one)
    // sampled at 0.7 from a random model, which may end at its first token: assert what holds for
    // any sample (each request read its prompt and ended normally)
    const ask = async (m: LLM, tag: string) => {
      for (let i = 0; i < 25; i++) {
        const r = await m.complete(`Once ${tag} ${i}`, { temperature: 0.7, maxTokens: 24 }).result;
        assert.ok(r.usage.promptTokens > 0);
        assert.ok(r.finishReason === "stop" || r.finishReason === "length", r.finishReason);
      }
    };
    await Promise.all([ask(here, "a"), ask(other, "b"), ask(again, "c")]);
  } finally {
    await here.dispose();
    await other.dispose();
    await again.dispose();
  }
});
