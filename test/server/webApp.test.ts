// The web app's server side over real HTTP: the built files with their cache headers, compression
// and Content-Security-Policy, --no-ui, a clear page when the app is not built, the /hearth
// management routes (models, load, unload, plan, devices, fallbacks) behind the API key, and
// hearth's figures on the last chunk of a streamed chat.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { ensureFixture } from "../../fixtures/index.ts";
import { NO_END_LOGIT_BIAS } from "../../fixtures/vocab.ts";
import { repoRoot } from "../helpers/cli.ts";
import { idOf, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let server: TestServer;
let tiny: string;

before(async () => {
  const built = spawnSync(process.execPath, [path.join(repoRoot, "scripts/build-web.mjs")], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  const file = await ensureFixture("tiny");
  tiny = idOf(file);
  server = await startServer({ models: [file], keepAliveSec: -1 });
});

after(async () => {
  await server?.close();
});

test("/ is the app: never cached, with a CSP that allows this origin only; hashed assets cached a year, sent compressed", async () => {
  const res = await fetch(`${server.base}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/html/);
  assert.equal(res.headers.get("cache-control"), "no-cache");
  const csp = res.headers.get("content-security-policy")!;
  for (const d of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"])
    assert.ok(csp.includes(d), `${d} in ${csp}`);
  assert.ok(!/unsafe-inline|unsafe-eval|https?:/.test(csp), csp);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  const html = await res.text();
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), "no inline script");
  const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(js, html);

  const raw = await fetch(`${server.base}${js}`, { headers: { "accept-encoding": "identity" } });
  assert.equal(raw.status, 200);
  assert.equal(raw.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.match(raw.headers.get("content-type")!, /^text\/javascript/);
  const plain = Buffer.from(await raw.arrayBuffer());
  // node's fetch would decode brotli itself: ask with a raw request to see the bytes on the wire
  const { request } = await import("node:http");
  const br = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
    request(`${server.base}${js}`, { headers: { "accept-encoding": "gzip, br" } }, (r) => {
      const parts: Buffer[] = [];
      r.on("data", (d) => parts.push(d));
      r.on("end", () => resolve({ encoding: r.headers["content-encoding"], body: Buffer.concat(parts) }));
    })
      .on("error", reject)
      .end();
  });
  assert.equal(br.encoding, "br");
  assert.ok(br.body.length < plain.length / 2, `${br.body.length} vs ${plain.length}`);
  assert.deepEqual(brotliDecompressSync(br.body), plain);

  assert.equal((await fetch(`${server.base}/assets/nothing-here.js`)).status, 404);
});

test("--no-ui serves no app; an unbuilt app answers / with how to build it", async () => {
  const off = await startServer({ ui: false });
  const empty = await startServer({ webDir: mkdtempSync(path.join(os.tmpdir(), "hearth-noweb-")) });
  try {
    assert.equal((await fetch(`${off.base}/`)).status, 404);
    assert.equal((await fetch(`${off.base}/health`)).status, 200);
    const res = await fetch(`${empty.base}/`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build:web/);
  } finally {
    await off.close();
    await empty.close();
  }
});

test("with an API key, /hearth routes need it like /v1; the app's files and /hearth/auth do not", async () => {
  const locked = await startServer({ apiKey: "k3y" });
  try {
    const get = (p: string, key?: string) => fetch(`${locked.base}${p}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    assert.equal((await get("/")).status, 200);
    for (const p of ["/hearth/models", "/hearth/devices", "/hearth/fallbacks", "/hearth/plan?model=x"]) {
      assert.equal((await get(p)).status, 401, p);
      assert.equal((await get(p, "wrong")).status, 401, p);
    }
    assert.equal((await fetch(`${locked.base}/hearth/models/x/load`, { method: "POST" })).status, 401);
    assert.deepEqual(await (await get("/hearth/auth")).json(), { required: true, valid: false });
    assert.deepEqual(await (await get("/hearth/auth", "wrong")).json(), { required: true, valid: false });
    assert.deepEqual(await (await get("/hearth/auth", "k3y")).json(), { required: true, valid: true });
    assert.equal((await get("/hearth/models", "k3y")).status, 200);
  } finally {
    await locked.close();
  }
  assert.deepEqual(await (await fetch(`${server.base}/hearth/auth`)).json(), { required: false, valid: true });
});

test("/hearth/models lists and loads and unloads; bad names are 404", async () => {
  // as the app sends them: a POST without a body
  const post = async (route: string) => {
    const res = await fetch(`${server.base}${route}`, { method: "POST" });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) };
  };
  const list = async () =>
    (
      (await (await fetch(`${server.base}/hearth/models`)).json()) as {
        models: { id: string; type: string; status: { state: string } | null }[];
      }
    ).models;
  const m = (await list()).find((x) => x.id === tiny);
  assert.equal(m?.type, "llm");
  assert.equal(m?.status?.state, "ready");
  assert.ok(
    (await list()).some((x) => x.id === "ocr"),
    "the embedded OCR model is listed",
  );

  const unloaded = await post(`/hearth/models/${encodeURIComponent(tiny)}/unload`);
  assert.equal(unloaded.status, 200, unloaded.text);
  assert.equal((await list()).find((x) => x.id === tiny)?.status, null);
  assert.equal((await post(`/hearth/models/${encodeURIComponent(tiny)}/unload`)).status, 404);

  const loaded = await post(`/hearth/models/${encodeURIComponent(tiny)}/load`);
  assert.equal(loaded.status, 200, loaded.text);
  assert.equal(loaded.json.model.state, "ready");
  assert.equal(loaded.json.model.device, "cpu");

  const missing = await post(`/hearth/models/${encodeURIComponent("nobody/nothing:Q4_K_M")}/load`);
  assert.equal(missing.status, 404);
  assert.match(missing.json.error.message, /not served here/);
  // a client's name never opens a file on the server's disk
  assert.equal((await post(`/hearth/models/${encodeURIComponent("/etc/passwd")}/load`)).status, 404);
});

test("/hearth/plan says what `hearth plan --json` says; /hearth/devices what `hearth devices --json` says", async () => {
  const plan = (await (await fetch(`${server.base}/hearth/plan?model=${encodeURIComponent(tiny)}`)).json()) as Record<string, any>;
  assert.equal(plan.model, tiny);
  assert.equal(plan.device, "cpu");
  assert.equal(typeof plan.backend, "string");
  assert.ok(plan.reasons.length > 0 && plan.alternatives.length > 0 && plan.fallbackChain.length > 0);
  assert.equal(plan.alternatives[0].backend, plan.backend);
  assert.ok(Array.isArray(plan.remembered));
  assert.equal((await fetch(`${server.base}/hearth/plan`)).status, 400);
  assert.equal((await fetch(`${server.base}/hearth/plan?model=..%2F..%2Fetc%2Fpasswd`)).status, 404);

  const devices = (await (await fetch(`${server.base}/hearth/devices`)).json()) as Record<string, any>;
  assert.ok(devices.cpu.logicalCores >= 1);
  assert.ok(devices.cpu.backends.includes(plan.backend), `${plan.backend} in ${devices.cpu.backends}`);
  assert.ok(devices.memory.totalBytes > 0);
  const fallbacks = (await (await fetch(`${server.base}/hearth/fallbacks`)).json()) as Record<string, unknown>;
  assert.ok(Array.isArray(fallbacks.fallbacks) && Array.isArray(fallbacks.runnerExits));
});

test("a streamed chat's last chunk carries hearth's figures: speeds, tokens, engine and device", async () => {
  for (const withUsage of [true, false]) {
    const res = await fetch(`${server.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: tiny,
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 4,
        // the end tokens banned: sampled with a random seed, the random model can end before its first
        // token (it did, in CI), leaving no tokens to count
        logit_bias: NO_END_LOGIT_BIAS,
        stream: true,
        ...(withUsage ? { stream_options: { include_usage: true } } : {}),
      }),
    });
    const chunks = (await res.text())
      .split("\n\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => JSON.parse(l.slice(6)));
    const last = chunks[chunks.length - 1];
    assert.ok(
      chunks.slice(0, -1).every((c) => c.hearth === undefined),
      "only the last chunk",
    );
    assert.equal(last.hearth.device, "cpu");
    assert.equal(typeof last.hearth.backend, "string");
    assert.ok(last.hearth.completion_tokens > 0 && last.hearth.completion_tokens <= 4);
    assert.ok(last.hearth.prompt_tokens > 0 && last.hearth.total_ms > 0);
    if (withUsage) assert.equal(last.usage.completion_tokens, last.hearth.completion_tokens);
    else assert.equal(last.choices[0].finish_reason !== null, true);
  }
});
