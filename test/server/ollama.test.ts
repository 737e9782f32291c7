// The official `ollama` npm client, unchanged, against a real hearth server: list, chat streamed
// and not, generate, embed, show, ps, pull with progress from the mock hub; names as Ollama clients
// send them (`:latest`); a model that is not pulled says so and how to pull; delete needs its flag.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Ollama } from "ollama";
import { ensureFixture } from "../../fixtures/index.ts";
import { fixtureRepos, startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let hub: MockHub;
let server: TestServer;
let ollama: Ollama;
let tools: string;
let embed: string;
const KEY = "sk-ollama";

before(async () => {
  hub = await startMockHub(await fixtureRepos());
  process.env.HF_ENDPOINT = hub.url;
  const toolsFile = await ensureFixture("tools");
  const embedFile = await ensureFixture("embed");
  tools = idOf(toolsFile);
  embed = idOf(embedFile);
  server = await startServer({ models: [toolsFile, embedFile], allowPull: true, apiKey: KEY });
  ollama = new Ollama({ host: server.base, headers: { Authorization: `Bearer ${KEY}` } });
});

after(async () => {
  await server?.close();
  await hub?.close();
});

const GREEDY = { temperature: 0, seed: 1 };

test("list: the served models as name:latest with details", async () => {
  const { models } = await ollama.list();
  const m = models.find((x) => x.name === `${tools}:latest`);
  assert.ok(m, JSON.stringify(models.map((x) => x.name)));
  assert.equal(m.details.format, "gguf");
  assert.equal(m.details.family, "qwen3");
  assert.ok(m.size > 0);
  assert.match(m.digest, /^[0-9a-f]{64}$/);
});

test("chat: streamed chunks add up to the unstreamed answer; the last line has done_reason and timings", async () => {
  const messages = [{ role: "user", content: "Tell me a story" }];
  const whole = await ollama.chat({
    model: `${tools}:latest`,
    messages,
    stream: false,
    think: false,
    options: { ...GREEDY, num_predict: 8 },
  });
  assert.equal(whole.done, true);
  assert.ok(["stop", "length"].includes(whole.done_reason));
  assert.ok(whole.eval_count > 0 && whole.eval_count <= 8);
  assert.ok(whole.prompt_eval_count > 0);
  assert.ok(whole.total_duration > 0 && whole.eval_duration > 0 && whole.prompt_eval_duration > 0);
  assert.ok(whole.total_duration >= whole.prompt_eval_duration);
  const stream = await ollama.chat({ model: tools, messages, stream: true, think: false, options: { ...GREEDY, num_predict: 8 } });
  let text = "";
  let last: Awaited<ReturnType<typeof ollama.chat>> | undefined;
  for await (const part of stream) {
    text += part.message.content;
    last = part;
  }
  assert.equal(text, whole.message.content);
  assert.equal(last?.done, true);
  assert.equal(last?.eval_count, whole.eval_count);
});

test("chat with tools: tool_calls with object arguments; format json_schema", async () => {
  const weather = {
    type: "function",
    function: {
      name: "get_weather",
      description: "current weather in a city",
      parameters: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo"] } }, required: ["city"] },
    },
  };
  const r = await ollama.chat({
    model: tools,
    messages: [{ role: "user", content: "weather in Paris?" }],
    tools: [weather],
    stream: false,
    options: { ...GREEDY, num_predict: 80 },
  });
  // a random-weight model may or may not call the tool; when it does, the call is well formed
  for (const c of r.message.tool_calls ?? []) {
    assert.equal(c.function.name, "get_weather");
    assert.equal(typeof c.function.arguments, "object");
  }
  const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false };
  const j = await ollama.chat({
    model: tools,
    messages: [{ role: "user", content: "json" }],
    format: schema,
    think: false,
    stream: false,
    options: { ...GREEDY, num_predict: 40 },
  });
  assert.equal(typeof JSON.parse(j.message.content).ok, "boolean");
});

test("generate: templated and raw; an empty prompt loads the model", async () => {
  const g = await ollama.generate({
    model: tools,
    prompt: "Once upon a time",
    stream: false,
    think: false,
    options: { ...GREEDY, num_predict: 5 },
  });
  assert.equal(typeof g.response, "string");
  assert.ok(g.eval_count > 0 && g.eval_count <= 5);
  const raw = await ollama.generate({
    model: tools,
    prompt: "Once upon a time",
    raw: true,
    stream: false,
    options: { ...GREEDY, num_predict: 5 },
  });
  assert.ok(raw.prompt_eval_count < g.prompt_eval_count, "the raw prompt skips the chat template");
  let streamed = "";
  for await (const part of await ollama.generate({
    model: tools,
    prompt: "Once upon a time",
    raw: true,
    stream: true,
    options: { ...GREEDY, num_predict: 5 },
  }))
    streamed += part.response;
  assert.equal(streamed, raw.response);
  const load = await postJson(server.base, "/api/generate", { model: tools }, { authorization: `Bearer ${KEY}` });
  assert.equal(load.json.done_reason, "load");
});

test("embed and the older embeddings: unit vectors of the model's width", async () => {
  const e = await ollama.embed({ model: embed, input: ["hello", "world"] });
  assert.equal(e.embeddings.length, 2);
  assert.equal(e.embeddings[0].length, 64);
  assert.ok(Math.abs(Math.hypot(...e.embeddings[0]) - 1) < 1e-3);
  const old = await ollama.embeddings({ model: embed, prompt: "hello" });
  assert.equal(old.embedding.length, 64);
  assert.ok(Math.abs(old.embedding[0] - e.embeddings[0][0]) < 1e-4);
});

test("show and ps: template, capabilities, context length; loaded models listed", async () => {
  const s = await ollama.show({ model: tools });
  assert.ok(s.capabilities.includes("completion"));
  assert.ok(s.capabilities.includes("tools"));
  assert.ok(s.template.includes("<|im_start|>"));
  assert.equal((s.model_info as any)["qwen3.context_length"], 4096);
  const ps = await ollama.ps();
  assert.ok(
    ps.models.some((m) => m.name === `${tools}:latest`),
    JSON.stringify(ps.models.map((m) => m.name)),
  );
  assert.ok(ps.models.every((m) => Date.parse(String(m.expires_at)) > Date.now()));
});

test("a model that is not pulled says so and how; pull streams progress from the hub; then it chats", async () => {
  await assert.rejects(
    ollama.chat({ model: "hearth-test/tiny-GGUF:latest", messages: [{ role: "user", content: "hi" }], stream: false }),
    (e: any) => e.status_code === 404 && /not found, try pulling it first/.test(e.message) && /api\/pull/.test(e.message),
  );
  const statuses: string[] = [];
  let completed = 0;
  for await (const p of await ollama.pull({ model: "hearth-test/tiny-GGUF:Q8_0", stream: true })) {
    statuses.push(p.status);
    if (p.completed) completed = p.completed;
  }
  assert.equal(statuses[0], "pulling manifest");
  assert.equal(statuses[statuses.length - 1], "success");
  assert.ok(completed > 0, statuses.join(", "));
  assert.ok(hub.requests.some((l) => l.includes("tiny-Q8_0.gguf")));
  const { models } = await ollama.list();
  assert.ok(
    models.some((m) => m.name === "hearth-test/tiny-GGUF:latest"),
    JSON.stringify(models.map((m) => m.name)),
  );
  const r = await ollama.chat({
    model: "hearth-test/tiny-GGUF:latest",
    messages: [{ role: "user", content: "hi" }],
    stream: false,
    options: { num_predict: 2 },
  });
  assert.equal(r.done, true);
});

test("delete needs --allow-delete; errors are {error}; the key is required", async () => {
  await assert.rejects(
    ollama.delete({ model: "hearth-test/tiny-GGUF" }),
    (e: any) => e.status_code === 403 && /allow-delete/.test(e.message),
  );
  const bad = await postJson(server.base, "/api/chat", { model: tools, messages: "nope" }, { authorization: `Bearer ${KEY}` });
  assert.equal(bad.status, 400);
  assert.equal(typeof bad.json.error, "string");
  const anon = await postJson(server.base, "/api/chat", { model: tools, messages: [] });
  assert.equal(anon.status, 401);
  assert.equal(typeof anon.json.error, "string");
  const v = await ollama.version();
  assert.match(v.version, /^\d+\.\d+\.\d+$/);
});
