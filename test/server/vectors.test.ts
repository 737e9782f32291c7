// Embeddings and reranking through the official openai client (and plain fetch for /v1/rerank,
// which the client does not cover) against a real server with the embed and rerank fixtures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { ensureFixture } from "../../fixtures/index.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let server: TestServer;
let embed: string;
let rerank: string;

before(async () => {
  const e = await ensureFixture("embed");
  const r = await ensureFixture("rerank");
  embed = idOf(e);
  rerank = idOf(r);
  server = await startServer({ models: [e, r] });
});

after(async () => {
  await server?.close();
});

const norm = (v: number[]) => Math.hypot(...v);

test("embeddings: a string and an array give unit vectors in input order", async () => {
  const one = await server.client.embeddings.create({ model: embed, input: "hello world", encoding_format: "float" });
  assert.equal(one.object, "list");
  assert.equal(one.data.length, 1);
  const v = one.data[0].embedding;
  assert.equal(v.length, 64);
  assert.ok(Math.abs(norm(v) - 1) < 1e-3);
  assert.ok(one.usage.prompt_tokens > 0);

  const many = await server.client.embeddings.create({
    model: embed,
    input: ["first text", "hello world", "third"],
    encoding_format: "float",
  });
  assert.deepEqual(
    many.data.map((d) => d.index),
    [0, 1, 2],
  );
  // the same text embeds the same way alone and in a batch
  const cos = many.data[1].embedding.reduce((s, x, i) => s + x * v[i], 0);
  assert.ok(cos > 0.999, `cosine ${cos}`);
  assert.ok(many.data[0].embedding.some((x, i) => Math.abs(x - many.data[2].embedding[i]) > 1e-6));
});

test("embeddings: base64 is the same little-endian float32 vector", async () => {
  const f = await postJson(server.base, "/v1/embeddings", { model: embed, input: "hello world", encoding_format: "float" });
  const b = await postJson(server.base, "/v1/embeddings", { model: embed, input: "hello world", encoding_format: "base64" });
  assert.equal(typeof b.json.data[0].embedding, "string");
  const buf = Buffer.from(b.json.data[0].embedding, "base64");
  const decoded = Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
  assert.equal(decoded.length, f.json.data[0].embedding.length);
  decoded.forEach((x, i) => {
    assert.ok(Math.abs(x - f.json.data[0].embedding[i]) < 1e-6);
  });
  // the openai client's default (base64) decodes to the same numbers
  const viaClient = await server.client.embeddings.create({ model: embed, input: "hello world" });
  viaClient.data[0].embedding.forEach((x, i) => {
    assert.ok(Math.abs(x - f.json.data[0].embedding[i]) < 1e-6);
  });
});

test("embeddings: dimensions truncates and renormalises (Matryoshka architecture), too many is 400", async () => {
  const full = await server.client.embeddings.create({ model: embed, input: "shorten me", encoding_format: "float" });
  const short = await server.client.embeddings.create({ model: embed, input: "shorten me", encoding_format: "float", dimensions: 16 });
  const v = short.data[0].embedding;
  assert.equal(v.length, 16);
  assert.ok(Math.abs(norm(v) - 1) < 1e-3);
  const head = full.data[0].embedding.slice(0, 16);
  const scale = norm(head);
  v.forEach((x, i) => {
    assert.ok(Math.abs(x - head[i] / scale) < 1e-5);
  });
  await assert.rejects(
    server.client.embeddings.create({ model: embed, input: "x", dimensions: 65 }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && (e.error as any).param === "dimensions",
  );
});

test("embeddings: bad input is 400, a reranker is not an embedder", async () => {
  assert.equal((await postJson(server.base, "/v1/embeddings", { model: embed, input: "" })).status, 400);
  assert.equal((await postJson(server.base, "/v1/embeddings", { model: embed, input: [1, 2, 3] })).status, 400);
  assert.equal((await postJson(server.base, "/v1/embeddings", { model: embed, input: "x", encoding_format: "hex" })).status, 400);
  const wrong = await postJson(server.base, "/v1/chat/completions", { model: embed, messages: [{ role: "user", content: "x" }] });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.json.error.code, "unsupported_task");
});

test("rerank: results sorted by relevance, top_n, documents returned, /v1/reranking alias", async () => {
  const documents = ["the cat sat on the mat", "stock prices fell", "a kitten on a rug", "rain tomorrow"];
  const r = await postJson(server.base, "/v1/rerank", { model: rerank, query: "cats", documents, top_n: 3, return_documents: true });
  assert.equal(r.status, 200, r.text);
  const results = r.json.results as { index: number; relevance_score: number; document: { text: string } }[];
  assert.equal(results.length, 3);
  for (let i = 1; i < results.length; i++) assert.ok(results[i - 1].relevance_score >= results[i].relevance_score);
  for (const x of results) assert.equal(x.document.text, documents[x.index]);
  assert.equal(new Set(results.map((x) => x.index)).size, 3);
  const alias = await postJson(server.base, "/v1/reranking", { model: rerank, query: "cats", documents });
  assert.equal(alias.status, 200);
  assert.equal(alias.json.results.length, 4);
  assert.deepEqual(
    alias.json.results.slice(0, 3).map((x: { index: number }) => x.index),
    results.map((x) => x.index),
  );
  assert.equal((await postJson(server.base, "/v1/rerank", { model: rerank, query: "cats", documents: [] })).status, 400);
  assert.equal((await postJson(server.base, "/v1/rerank", { model: embed, query: "cats", documents })).status, 400);
});
