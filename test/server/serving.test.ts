// Serving behaviour over real HTTP: the queue limit (429 with Retry-After), a client disconnect that
// frees its sequence at once, health, metrics, docs, the models list, API keys, CORS, body limits.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { ensureFixture } from "../../fixtures/index.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let server: TestServer;
let tiny: string;
const KEY = "sk-test-0123456789";

before(async () => {
  const file = await ensureFixture("tiny");
  tiny = idOf(file);
  server = await startServer({
    models: [file],
    parallel: 1,
    queueLimit: 1,
    apiKey: KEY,
    corsOrigins: ["http://app.example"],
    bodyLimitBytes: 256 * 1024,
  });
});

after(async () => {
  await server?.close();
});

const auth = { authorization: `Bearer ${KEY}` };
// a grammar that cannot end before 1900 letters keeps a generation going for hundreds of tokens
const longBody = () => ({
  model: tiny,
  messages: [{ role: "user", content: "go on" }],
  max_tokens: 2000,
  grammar: "root ::= [a-z]{1900}",
  stream: true,
});

async function health() {
  return (await fetch(`${server.base}/health`)).json() as Promise<{
    status: string;
    models: { id: string; active: number; queued: number }[];
  }>;
}

async function waitFor(what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(await health())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts a long stream and returns once its first chunk arrived. */
async function startLongStream() {
  const ac = new AbortController();
  const res = await fetch(`${server.base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify(longBody()),
    signal: ac.signal,
  });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  await reader.read();
  return { ac, reader };
}

test("a full queue answers 429 with Retry-After; a disconnect frees the sequence at once", async () => {
  const a = await startLongStream();
  // B waits in the queue (limit 1) behind A
  const b = postJson(
    server.base,
    "/v1/chat/completions",
    { model: tiny, messages: [{ role: "user", content: "hi" }], max_tokens: 2 },
    auth,
  );
  await waitFor("B to queue", async () => (await health()).models.some((m) => m.active === 1 && m.queued === 1));
  // C finds the queue full
  const c = await postJson(
    server.base,
    "/v1/chat/completions",
    { model: tiny, messages: [{ role: "user", content: "hi" }], max_tokens: 2 },
    auth,
  );
  assert.equal(c.status, 429);
  assert.equal(c.json.error.code, "queue_full");
  assert.ok(Number(c.headers.get("retry-after")) >= 1);
  // A goes away mid-stream: its sequence is freed and B runs
  a.ac.abort();
  const rb = await b;
  assert.equal(rb.status, 200, rb.text);
  await waitFor("the slot to be free", async () => (await health()).models.every((m) => m.active === 0 && m.queued === 0));
  const metrics = await (await fetch(`${server.base}/metrics`, { headers: auth })).text();
  assert.match(metrics, new RegExp(`hearth_requests_aborted_total\\{model="${tiny}"\\} 1`));
  // the aborted stream stopped early: far fewer tokens than the grammar's 1900 letters need
  const generated = Number(new RegExp(`hearth_completion_tokens_total\\{model="${tiny}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  assert.ok(generated < 1900 / 2, `generated ${generated}`);
});

test("a queued request whose client goes away leaves the queue", async () => {
  const a = await startLongStream();
  const ac = new AbortController();
  const b = fetch(`${server.base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    signal: ac.signal,
    body: JSON.stringify({ model: tiny, messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
  }).catch((e: Error) => e);
  await waitFor("B to queue", async () => (await health()).models.some((m) => m.queued === 1));
  ac.abort();
  assert.ok((await b) instanceof Error);
  await waitFor("B to leave the queue", async () => (await health()).models.every((m) => m.queued === 0));
  // A still holds its slot: the queue has room again, so C waits rather than getting 429
  const c = postJson(
    server.base,
    "/v1/chat/completions",
    { model: tiny, messages: [{ role: "user", content: "hi" }], max_tokens: 2 },
    auth,
  );
  await waitFor("C to queue", async () => (await health()).models.some((m) => m.queued === 1));
  a.ac.abort();
  assert.equal((await c).status, 200);
});

test("the openai client sees a 429 as RateLimitError", async () => {
  const a = await startLongStream();
  const b = postJson(
    server.base,
    "/v1/chat/completions",
    { model: tiny, messages: [{ role: "user", content: "hi" }], max_tokens: 2 },
    auth,
  );
  await waitFor("B to queue", async () => (await health()).models.some((m) => m.queued === 1));
  const client = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: KEY, maxRetries: 0 });
  await assert.rejects(
    client.chat.completions.create({ model: tiny, messages: [{ role: "user", content: "x" }], max_tokens: 1 }),
    OpenAI.RateLimitError,
  );
  a.ac.abort();
  assert.equal((await b).status, 200);
});

test("API key: missing or wrong is 401 on /v1, right one passes; health stays open, metrics need the key", async () => {
  const none = await postJson(server.base, "/v1/chat/completions", {
    model: tiny,
    messages: [{ role: "user", content: "x" }],
    max_tokens: 1,
  });
  assert.equal(none.status, 401);
  assert.equal(none.json.error.code, "unauthorized");
  const wrong = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
  await assert.rejects(wrong.models.list(), OpenAI.AuthenticationError);
  const right = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: KEY, maxRetries: 0 });
  const r = await right.chat.completions.create({ model: tiny, messages: [{ role: "user", content: "x" }], max_tokens: 1 });
  assert.equal(r.choices.length, 1);
  assert.equal((await fetch(`${server.base}/health`)).status, 200);
  assert.equal((await fetch(`${server.base}/metrics`)).status, 401);
  assert.equal((await fetch(`${server.base}/metrics`, { headers: auth })).status, 200);
});

test("models list and lookup show type and format; unknown id is 404", async () => {
  const client = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: KEY, maxRetries: 0 });
  const list = await client.models.list();
  const served = list.data.find((m) => m.id === tiny) as unknown as { type: string; format: string; loaded: boolean; object: string };
  assert.ok(served, JSON.stringify(list.data));
  assert.equal(served.object, "model");
  assert.equal(served.type, "llm");
  assert.equal(served.format, "gguf");
  assert.equal(served.loaded, true);
  assert.ok(
    list.data.some((m) => m.id === "ocr"),
    "the npm-shipped OCR model is listed",
  );
  const one = await client.models.retrieve(tiny);
  assert.equal(one.id, tiny);
  await assert.rejects(client.models.retrieve("no/such-model:Q4_K_M"), OpenAI.NotFoundError);
});

test("health, metrics and OpenAPI docs", async () => {
  const gen = await postJson(
    server.base,
    "/v1/chat/completions",
    { model: tiny, messages: [{ role: "user", content: "x" }], max_tokens: 8, grammar: "root ::= [a-z]{30}" },
    auth,
  );
  assert.equal(gen.status, 200);
  const h = await health();
  assert.equal(h.status, "ready");
  assert.equal(h.models[0].id, tiny);
  const m = await fetch(`${server.base}/metrics`, { headers: auth });
  assert.match(m.headers.get("content-type")!, /text\/plain/);
  const text = await m.text();
  for (const name of [
    "hearth_http_requests_total",
    "hearth_http_errors_total",
    "hearth_queue_depth",
    "hearth_prompt_tokens_total",
    "hearth_completion_tokens_total",
    "hearth_time_to_first_token_seconds_bucket",
    "hearth_decode_tokens_per_second_bucket",
    "hearth_models_loaded",
    "hearth_model_memory_bytes",
  ]) {
    assert.match(text, new RegExp(`^${name}`, "m"), name);
  }
  assert.match(text, /hearth_http_errors_total\{route="\/v1\/chat\/completions",status="429",code="queue_full"\} [1-9]/);
  const spec = await (await fetch(`${server.base}/docs/json`, { headers: auth })).json();
  assert.ok(spec.paths["/v1/chat/completions"]?.post);
  assert.ok(spec.paths["/v1/embeddings"]?.post);
  assert.equal((await fetch(`${server.base}/docs`, { redirect: "manual", headers: auth })).status < 400, true);
});

test("CORS only for the named origin; oversized body is 413; unknown route is 404", async () => {
  const pre = await fetch(`${server.base}/v1/models`, {
    method: "OPTIONS",
    headers: { origin: "http://app.example", "access-control-request-method": "GET" },
  });
  assert.equal(pre.headers.get("access-control-allow-origin"), "http://app.example");
  const other = await fetch(`${server.base}/health`, { headers: { origin: "http://evil.example" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  const big = await postJson(
    server.base,
    "/v1/chat/completions",
    { model: tiny, messages: [{ role: "user", content: "x".repeat(300 * 1024) }] },
    auth,
  );
  assert.equal(big.status, 413);
  assert.ok(big.json.error.message);
  const nowhere = await fetch(`${server.base}/v2/nothing`, { headers: auth });
  assert.equal(nowhere.status, 404);
  assert.equal((await nowhere.json()).error.code, "not_found");
});

test("the request log has one line per request with model and tokens", async () => {
  const line = server.logs.find(
    (l) => l.startsWith("POST /v1/chat/completions 200") && l.includes(`model=${tiny}`) && /tokens=\d+\/\d+/.test(l),
  );
  assert.ok(line, server.logs.join("\n"));
  assert.ok(server.logs.some((l) => / 401 .*error=unauthorized/.test(l)));
});

test("health and metrics show the runtime's fallbacks and runner exits", async () => {
  const { runtimeEvents } = await import("../../src/runtime/events.ts");
  const at = new Date().toISOString();
  runtimeEvents.emit("fallback", {
    model: "m-test",
    from: { backend: "llama", device: "gpu" },
    to: { backend: "llama", device: "cpu" },
    reason: "load failed: test",
    at,
  });
  runtimeEvents.emit("runnerExit", { model: "m-test", backend: "llama", device: "gpu", code: null, signal: "SIGSEGV", at });
  const h = await (await fetch(`${server.base}/health`)).json();
  assert.ok(h.fallbacks.some((f: { model: string; reason: string }) => f.model === "m-test" && f.reason === "load failed: test"));
  assert.ok(h.runnerExits.some((e: { model: string; signal: string }) => e.model === "m-test" && e.signal === "SIGSEGV"));
  const text = await (await fetch(`${server.base}/metrics`, { headers: auth })).text();
  assert.match(text, /hearth_fallbacks_total\{model="m-test",from="llama\/gpu",to="llama\/cpu"\} 1/);
  assert.match(text, /hearth_runner_exits_total\{model="m-test",backend="llama"\} 1/);
});
