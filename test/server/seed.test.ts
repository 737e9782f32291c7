// `hearth serve --seed N` (as llama-server's): requests that name no seed sample with N, so the same
// request gets the same answer; a request's own seed still wins. (Without either, each draws a seed of its own.)
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { ensureFixture } from "../../fixtures/index.ts";
import { NO_END_LOGIT_BIAS } from "../../fixtures/vocab.ts";
import { runHearth } from "../helpers/cli.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

const home = useTempHome();
const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A sampled chat answer (temperature 1, end tokens banned so every answer is 24 tokens long). */
async function sampled(s: TestServer, model: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await s.client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "Tell me something." }],
    temperature: 1,
    max_tokens: 24,
    logit_bias: NO_END_LOGIT_BIAS,
    ...extra,
  });
  assert.equal(r.usage?.completion_tokens, 24);
  return r.choices[0].message.content ?? "";
}

test("with --seed, requests naming no seed get the same answer; a request's own seed still decides", { timeout: 180_000 }, async () => {
  const tinyFile = await ensureFixture("tiny");
  const model = idOf(tinyFile);
  const seeded = await startServer({ models: [tinyFile], seed: 42 });
  servers.push(seeded);
  const a = await sampled(seeded, model);
  const b = await sampled(seeded, model);
  assert.equal(a, b, "the server's seed made the two samples the same");
  // a request's own seed: the same answer as the same seed on a server without one
  const own = await sampled(seeded, model, { seed: 7 });
  const plain = await startServer({ models: [tinyFile] });
  servers.push(plain);
  assert.equal(await sampled(plain, model, { seed: 7 }), own, "seed 7 decides, not the server's 42");
  assert.equal(await sampled(plain, model, { seed: 42 }), a, "the server's seed is the same as naming it");
  // the legacy completions route and Ollama's chat take it too
  const c1 = await postJson(seeded.base, "/v1/completions", {
    model,
    prompt: "Once",
    temperature: 1,
    max_tokens: 16,
    logit_bias: NO_END_LOGIT_BIAS,
  });
  const c2 = await postJson(seeded.base, "/v1/completions", {
    model,
    prompt: "Once",
    temperature: 1,
    max_tokens: 16,
    logit_bias: NO_END_LOGIT_BIAS,
  });
  assert.equal(c1.status, 200);
  assert.equal(c1.json.choices[0].text, c2.json.choices[0].text);
  const ollama = async () =>
    (
      await postJson(seeded.base, "/api/chat", {
        model,
        messages: [{ role: "user", content: "hi" }],
        stream: false,
        options: { temperature: 1, num_predict: 16 },
      })
    ).json.message.content;
  assert.equal(await ollama(), await ollama());
});

test("hearth serve --seed takes a 32-bit whole number; anything else is one line and exit 2", async () => {
  const env = { HEARTH_HOME: home, NO_COLOR: "1", HEARTH_API_KEY: "" };
  for (const bad of ["-1", "4294967296", "1.5", "random"]) {
    const r = await runHearth(["serve", "--seed", bad, "--port", "0"], { env });
    assert.equal(r.code, 2, `--seed ${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--seed/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
