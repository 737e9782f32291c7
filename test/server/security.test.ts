// Holding the door: DNS-rebinding defence (Host checks), the API key on every route but /health,
// bursts queued rather than refused, request memory bounded, and the headers a local server sends.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { ensureFixture } from "../../fixtures/index.ts";
import { hostAllowed } from "../../src/server/hostCheck.ts";
import { RequestMemory } from "../../src/server/requestMemory.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
const KEY = "sk-door-0123456789";
let tinyFile: string;
let open: TestServer; // no key, default queue
let keyed: TestServer; // key, one allowed host

before(async () => {
  tinyFile = await ensureFixture("tiny");
  open = await startServer({ models: [tinyFile] });
  keyed = await startServer({ models: [tinyFile], apiKey: KEY, allowedHosts: ["hearth.lan", "*.example.test"] });
});

after(async () => {
  await open?.close();
  await keyed?.close();
});

/** A GET with any Host header (fetch does not let a page or a client set Host). */
function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("bound to loopback, a foreign Host gets 403 saying how to allow it; this machine's names pass", async () => {
  const port = new URL(open.base).port;
  const evil = await get(open.base, "/v1/models", { host: `attacker.example:${port}` });
  assert.equal(evil.status, 403);
  const body = JSON.parse(evil.body);
  assert.equal(body.error.code, "forbidden");
  assert.match(body.error.message, /--allowed-hosts/);
  // the web page, health and unknown routes alike
  assert.equal((await get(open.base, "/health", { host: "rebind.attacker.example" })).status, 403);
  assert.equal((await get(open.base, "/", { host: "rebind.attacker.example" })).status, 403);
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "localhost", `app.localhost:${port}`]) {
    assert.equal((await get(open.base, "/v1/models", { host })).status, 200, host);
  }
});

test("hosts given with --allowed-hosts are served, exact or by wildcard; others still are not", async () => {
  const auth = { authorization: `Bearer ${KEY}` };
  assert.equal((await get(keyed.base, "/v1/models", { host: "hearth.lan:8080", ...auth })).status, 200);
  assert.equal((await get(keyed.base, "/v1/models", { host: "a.example.test", ...auth })).status, 200);
  assert.equal((await get(keyed.base, "/v1/models", { host: "example.test", ...auth })).status, 403);
  assert.equal((await get(keyed.base, "/v1/models", { host: "hearth.lan.attacker.example", ...auth })).status, 403);
});

test("the Host rule: off on a non-loopback bind unless hosts are given; * allows any", () => {
  assert.equal(hostAllowed("attacker.example", { bindHost: "127.0.0.1" }), false);
  assert.equal(hostAllowed("attacker.example", { bindHost: "0.0.0.0" }), true);
  assert.equal(hostAllowed("attacker.example", { bindHost: "0.0.0.0", allowedHosts: ["hearth.lan"] }), false);
  assert.equal(hostAllowed("hearth.lan:443", { bindHost: "0.0.0.0", allowedHosts: ["hearth.lan"] }), true);
  assert.equal(hostAllowed("10.1.2.3:18181", { bindHost: "10.1.2.3", allowedHosts: ["hearth.lan"] }), true);
  assert.equal(hostAllowed("anything.example", { bindHost: "127.0.0.1", allowedHosts: ["*"] }), true);
  assert.equal(hostAllowed("127.8.9.10", { bindHost: "127.0.0.1" }), true);
  assert.equal(hostAllowed(undefined, { bindHost: "127.0.0.1" }), true);
});

test("with a key, every route but /health needs it: /metrics and /docs included; x-api-key works too", async () => {
  // /health answers without the key (200 ready, or 503 while a model loads on a loaded machine)
  assert.notEqual((await get(keyed.base, "/health")).status, 401);
  assert.doesNotMatch((await get(keyed.base, "/health")).body, /unauthorized/);
  for (const path of ["/metrics", "/docs", "/docs/json", "/v1/models", "/no/such/route"]) {
    const r = await get(keyed.base, path);
    assert.equal(r.status, 401, path);
    assert.equal(JSON.parse(r.body).error.code, "unauthorized", path);
  }
  assert.equal((await get(keyed.base, "/metrics", { authorization: `Bearer ${KEY}` })).status, 200);
  assert.equal((await get(keyed.base, "/docs/json", { "x-api-key": KEY })).status, 200);
  assert.equal((await get(keyed.base, "/metrics", { "x-api-key": "sk-wrong" })).status, 401);
});

test("--public-metrics opens /metrics alone", async () => {
  const s = await startServer({ apiKey: KEY, publicMetrics: true });
  try {
    assert.equal((await get(s.base, "/metrics")).status, 200);
    assert.equal((await get(s.base, "/docs/json")).status, 401);
    assert.equal((await get(s.base, "/v1/models")).status, 401);
  } finally {
    await s.close();
  }
});

test("answers carry nosniff, a Referrer-Policy and no framing; HTML forbids framing by CSP", async () => {
  const json = await get(open.base, "/v1/models");
  assert.equal(json.headers["x-content-type-options"], "nosniff");
  assert.equal(json.headers["referrer-policy"], "no-referrer");
  assert.equal(json.headers["x-frame-options"], "DENY");
  const err = await get(open.base, "/v2/nothing");
  assert.equal(err.status, 404);
  assert.equal(err.headers["x-content-type-options"], "nosniff");
  const docs = await get(open.base, "/docs");
  assert.equal(docs.status, 200);
  assert.match(String(docs.headers["content-type"]), /text\/html/);
  assert.match(String(docs.headers["content-security-policy"]), /frame-ancestors 'none'/);
});

test("a burst of 300 concurrent chat requests with the default queue is answered in full", async () => {
  const model = idOf(tinyFile);
  const all = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      postJson(open.base, "/v1/chat/completions", {
        model,
        messages: [{ role: "user", content: `question ${i}` }],
        max_tokens: 4,
        seed: i,
      }),
    ),
  );
  const statuses = new Map<number, number>();
  for (const r of all) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  assert.deepEqual([...statuses], [[200, 300]]);
  assert.ok(all.every((r) => r.json.choices.length === 1));
  // and the server still answers
  assert.equal((await get(open.base, "/v1/models")).status, 200);
});

test("request memory: bodies that fit are held, one past the limit is refused until the others end", () => {
  const m = new RequestMemory(1000);
  const a = m.take(600)!;
  assert.ok(a);
  assert.equal(m.take(600), undefined);
  const b = m.take(300)!;
  assert.equal(m.heldBytes, 900);
  a();
  a(); // giving back twice counts once
  assert.equal(m.heldBytes, 300);
  assert.ok(m.take(600));
  b();
  // a single body larger than the limit is not refused when nothing else is held (bodyLimit bounds it)
  const big = new RequestMemory(10);
  assert.ok(big.take(50));
});

test("over HTTP, a queued large body past the request memory gets 429 with Retry-After, then the server goes on", async () => {
  const s = await startServer({ models: [tinyFile], parallel: 1, requestMemoryBytes: 256 * 1024, bodyLimitBytes: 1024 * 1024 });
  const model = idOf(tinyFile);
  try {
    // A holds the only slot with a long generation
    const ac = new AbortController();
    const res = await fetch(`${s.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model,
        messages: [{ role: "user", content: "go" }],
        max_tokens: 2000,
        grammar: "root ::= [a-z]{1900}",
        stream: true,
      }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    // B (200 KB) waits in the queue holding its body; C (200 KB) does not fit beside it
    const big = (n: number) => ({ model, messages: [{ role: "user", content: "x".repeat(n) }], max_tokens: 1 });
    const b = postJson(s.base, "/v1/chat/completions", big(200 * 1024));
    await new Promise((r) => setTimeout(r, 200));
    const c = await postJson(s.base, "/v1/chat/completions", big(200 * 1024));
    assert.equal(c.status, 429);
    assert.equal(c.json.error.code, "queue_full");
    assert.ok(Number(c.headers.get("retry-after")) >= 1);
    ac.abort();
    await reader.cancel().catch(() => {});
    const bDone = await b; // B runs and ends (its prompt exceeds the tiny context: a 400, not a hang)
    assert.ok(bDone.status === 200 || bDone.status === 400, String(bDone.status));
    const d = await postJson(s.base, "/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    assert.equal(d.status, 200);
  } finally {
    await s.close();
  }
});
