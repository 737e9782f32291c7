// Model lifecycle in the server: one load shared by the requests that wait for it, least recently
// used eviction when the resident-model limit is reached, and unloading after the keep-alive.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ensureFixture } from "../../fixtures/index.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let server: TestServer;
let tiny: string;
let embed: string;

before(async () => {
  const t = await ensureFixture("tiny");
  const e = await ensureFixture("embed");
  tiny = idOf(t);
  embed = idOf(e);
  // one resident model at a time; idle models go after 3 s
  server = await startServer({ models: [t, e], maxLoadedModels: 1, keepAliveSec: 3 });
});

after(async () => {
  await server?.close();
});

const resident = async () =>
  ((await (await fetch(`${server.base}/health`)).json()).models as { id: string; state: string }[]).map((m) => `${m.id}:${m.state}`);
const count = (re: RegExp) => server.logs.filter((l) => re.test(l)).length;

test("preloading two models with room for one: the first is evicted for the second", async () => {
  assert.ok(
    server.logs.some((l) => l === `unloaded ${tiny} (making room for ${embed})`) ||
      server.logs.some((l) => l.startsWith(`unloaded ${tiny} (idle`)),
    server.logs.join("\n"),
  );
  assert.ok((await resident()).every((m) => !m.startsWith(`${tiny}:`)));
});

test("concurrent requests for an unloaded model share one load; LRU makes room", async () => {
  const loadsBefore = count(new RegExp(`^loading ${tiny} `));
  const body = { model: tiny, messages: [{ role: "user", content: "hi" }], max_tokens: 2 };
  const replies = await Promise.all([1, 2, 3].map(() => postJson(server.base, "/v1/chat/completions", body)));
  for (const r of replies) assert.equal(r.status, 200, r.text);
  assert.equal(count(new RegExp(`^loading ${tiny} `)) - loadsBefore, 1, server.logs.join("\n"));
  assert.deepEqual(await resident(), [`${tiny}:ready`]);
});

test("an idle model is unloaded after the keep-alive, and loads again on the next request", async () => {
  const deadline = Date.now() + 30_000;
  // the entry leaves /health when unloading starts; the log line follows once the runner is gone
  while ((await resident()).length > 0 || !server.logs.includes(`unloaded ${tiny} (idle for 3 s)`)) {
    if (Date.now() > deadline) assert.fail(`still resident: ${await resident()}\n${server.logs.join("\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const r = await postJson(server.base, "/v1/embeddings", { model: embed, input: "back again" });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await resident(), [`${embed}:ready`]);
});
