// Embeddings and reranking on the random-weight GGUF fixtures (qwen3 architecture, last-token
// pooling for the embedder, a classifier head with rank pooling for the reranker).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Embedder } from "../../src/sdk/Embedder.ts";
import { Reranker } from "../../src/sdk/Reranker.ts";
import { HearthError } from "../../src/errors/HearthError.ts";
import { ensureFixture, PRESETS } from "../../fixtures/index.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-embed-"));
process.env.HEARTH_HOME = home;

let embedder: Embedder;
let reranker: Reranker;
before(async () => {
  embedder = await Embedder.load(await ensureFixture("embed"), { threads: 1 });
  reranker = await Reranker.load(await ensureFixture("rerank"), { threads: 1 });
});
after(async () => {
  await embedder?.dispose();
  await reranker?.dispose();
  rmSync(home, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => e instanceof HearthError && e.code === code);
}

test("embeddings have the model's dimension and unit length, one per text", async () => {
  assert.equal(embedder.dimensions, PRESETS.embed.embd);
  assert.deepEqual(embedder.info.tasks, ["embed"]);
  const r = await embedder.embed(["the cat sat on the mat", "stock prices fell", "the cat sat on the mat"]);
  assert.equal(r.vectors.length, 3);
  for (const v of r.vectors) {
    assert.equal(v.length, PRESETS.embed.embd);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
  }
  assert.deepEqual(r.vectors[0], r.vectors[2], "the same text gives the same vector");
  assert.notDeepEqual(r.vectors[0], r.vectors[1]);
  assert.ok(r.usage.promptTokens > 10);
  assert.equal(r.profile.device, "llama/cpu");
});

test("a single string embeds; normalize: false keeps the raw vector's direction", async () => {
  const unit = (await embedder.embed("hello")).vectors[0];
  const raw = (await embedder.embed("hello", { normalize: false })).vectors[0];
  const norm = Math.hypot(...raw);
  assert.ok(norm > 0);
  raw.forEach((x, i) => {
    assert.ok(Math.abs(x / norm - unit[i]) < 1e-5);
  });
});

test("embedding bad input is a typed error", async () => {
  await rejectsWith(embedder.embed([]), "bad_input");
  await rejectsWith(embedder.embed("word ".repeat(3000)), "context_exceeded");
});

test("rerank returns one score per document, in input order", async () => {
  const docs = ["a cat on a mat", "the stock market", "cats and dogs", "x"];
  const r = await reranker.rank("where is the cat?", docs);
  assert.equal(r.scores.length, docs.length);
  for (const s of r.scores) assert.ok(Number.isFinite(s));
  const again = await reranker.rank("where is the cat?", [...docs].reverse());
  assert.deepEqual(again.scores, [...r.scores].reverse(), "scores follow their documents");
  assert.ok(r.usage.promptTokens > 10);
});

test("rerank bad input is bad_input", async () => {
  await rejectsWith(reranker.rank("", ["a"]), "bad_input");
  await rejectsWith(reranker.rank("q", []), "bad_input");
});

test("an embedding model is not a reranker", async () => {
  await rejectsWith(Reranker.load(await ensureFixture("embed"), { threads: 1 }), "unsupported_architecture");
});
