// llama-server's utility routes on a real hearth server: /tokenize (with pieces), /detokenize,
// /apply-template (the prompt chat completions really uses), /props (context size, modalities,
// chat template, build) and /v1/models entries with context length and modalities.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ensureFixture } from "../../fixtures/index.ts";
import { ensureVlmFixture } from "../../fixtures/mmproj.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let server: TestServer;
let tools: string;
let vlm: string;

before(async () => {
  const toolsFile = await ensureFixture("tools");
  const fx = await ensureVlmFixture();
  tools = idOf(toolsFile);
  vlm = idOf(fx.model);
  // --mmproj pairs with the first model file given
  server = await startServer({ models: [fx.model, toolsFile], mmproj: fx.mmproj, load: { threads: 1, contextSize: 1024 } });
});

after(async () => {
  await server?.close();
});

test("tokenize and detokenize round-trip; pieces join to the text; bad ids are a 400", async () => {
  const t = await postJson(server.base, "/tokenize", { content: "Hello world, hello!", model: tools });
  assert.equal(t.status, 200, t.text);
  assert.ok(t.json.tokens.length > 0 && t.json.tokens.every(Number.isInteger));
  const p = await postJson(server.base, "/tokenize", { content: "Hello world, hello!", model: tools, with_pieces: true });
  assert.deepEqual(
    p.json.tokens.map((x: { id: number }) => x.id),
    t.json.tokens,
  );
  assert.equal(p.json.tokens.map((x: { piece: string }) => x.piece).join(""), "Hello world, hello!");
  const d = await postJson(server.base, "/detokenize", { tokens: t.json.tokens, model: tools });
  assert.equal(d.json.content, "Hello world, hello!");
  const bad = await postJson(server.base, "/detokenize", { tokens: [99999999], model: tools });
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.json.error.message, /vocabulary/);
});

test("apply-template gives the prompt chat completions runs: same token count as its usage", async () => {
  const messages = [
    { role: "system", content: "be brief" },
    { role: "user", content: "Hi there" },
  ];
  const r = await postJson(server.base, "/apply-template", { messages, model: tools });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.prompt.includes("Hi there") && r.json.prompt.includes("be brief"));
  assert.match(r.json.prompt, /<\|im_start\|>assistant\n/);
  const chat = await server.client.chat.completions.create({ model: tools, messages: messages as any, max_tokens: 1 });
  const t = await postJson(server.base, "/tokenize", { content: r.json.prompt, model: tools });
  assert.equal(t.json.tokens.length, chat.usage!.prompt_tokens);
});

test("props: context size, modalities, chat template, build; the default is the first text model", async () => {
  const v = await (await fetch(`${server.base}/props`)).json();
  assert.equal(v.default_generation_settings.model, vlm);
  assert.equal(v.default_generation_settings.n_ctx, 1024);
  assert.deepEqual(v.modalities, { vision: true, audio: false });
  assert.match(v.build_info, /hearth/);
  const t = await (await fetch(`${server.base}/props?model=${encodeURIComponent(tools)}`)).json();
  assert.deepEqual(t.modalities, { vision: false, audio: false });
  assert.ok(t.chat_template.includes("<|im_start|>"));
  assert.equal(t.n_ctx_train, 4096);
  const missing = await fetch(`${server.base}/props?model=nobody`);
  assert.equal(missing.status, 404);
});

test("/v1/models entries carry context length and modalities", async () => {
  const list = (await server.client.models.list()).data as unknown as {
    id: string;
    context_length: number;
    modalities: string[];
    meta: { n_ctx_train: number };
  }[];
  const t = list.find((m) => m.id === tools)!;
  assert.equal(t.context_length, 4096);
  assert.deepEqual(t.modalities, ["text"]);
  assert.equal(t.meta.n_ctx_train, 4096);
  const v = list.find((m) => m.id === vlm)!;
  assert.ok(v.modalities.includes("image"), JSON.stringify(v));
});

test("/docs documents every dialect's routes", async () => {
  const spec = await (await fetch(`${server.base}/docs/json`)).json();
  for (const route of [
    "/v1/responses",
    "/v1/messages",
    "/v1/messages/count_tokens",
    "/api/chat",
    "/api/generate",
    "/api/embed",
    "/api/tags",
    "/api/show",
    "/api/ps",
    "/api/pull",
    "/api/delete",
    "/api/version",
    "/tokenize",
    "/detokenize",
    "/apply-template",
    "/props",
  ]) {
    assert.ok(spec.paths[route], `${route} is not in /docs`);
  }
  assert.deepEqual(spec.tags.map((t: { name: string }) => t.name).sort(), ["anthropic", "llama.cpp", "ollama", "openai"]);
});
