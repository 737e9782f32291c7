// The server and the store: models pulled into the store are listed and load on first use by name;
// a store name that is not installed is a 404 and the hub is not contacted, unless the server was
// started with --allow-pull (then the request pulls it from the hub, here a mock on 127.0.0.1).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { pullModel } from "../../src/store/pull.ts";
import { fixtureRepos, startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let hub: MockHub;
let server: TestServer;

before(async () => {
  hub = await startMockHub(await fixtureRepos());
  process.env.HF_ENDPOINT = hub.url;
  await pullModel("hearth-test/tiny-GGUF:Q8_0");
  server = await startServer({});
});

after(async () => {
  await server?.close();
  await hub?.close();
});

const ask = (client: OpenAI, model: string) =>
  client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 2 });

test("a pulled model is listed with type and quant, and loads on first use by its store name", async () => {
  const list = await server.client.models.list();
  const m = list.data.find((x) => x.id === "hearth-test/tiny-GGUF") as unknown as {
    type: string;
    quant: string;
    source: string;
    loaded: boolean;
  };
  assert.ok(m, JSON.stringify(list.data.map((x) => x.id)));
  assert.equal(m.type, "llm");
  assert.equal(m.quant, "Q8_0");
  assert.equal(m.source, "store");
  assert.equal(m.loaded, false);
  const r = await ask(server.client, "hearth-test/tiny-GGUF");
  assert.equal(r.model, "hearth-test/tiny-GGUF");
  const again = (await server.client.models.retrieve("hearth-test/tiny-GGUF")) as unknown as { loaded: boolean };
  assert.equal(again.loaded, true);
});

test("a store name that is not installed is 404 and the hub is not contacted", async () => {
  const before = hub.requests.length;
  await assert.rejects(ask(server.client, "hearth-test/vlm-GGUF"), OpenAI.NotFoundError);
  await assert.rejects(ask(server.client, "hearth-test/tiny-GGUF:Q4_0"), OpenAI.NotFoundError);
  assert.equal(hub.requests.length, before, hub.requests.slice(before).join("\n"));
});

test("with --allow-pull a request pulls the model it names", async () => {
  const pulling = await startServer({ allowPull: true });
  try {
    const r = await ask(pulling.client, "hearth-test/tiny-GGUF:Q4_0");
    assert.equal(r.choices.length, 1);
    assert.ok(
      hub.requests.some((l) => l.includes("tiny-Q4_0.gguf")),
      hub.requests.join("\n"),
    );
  } finally {
    await pulling.close();
  }
});

test("a request that waits longer than the load allows gets 503 with Retry-After; the load goes on", async () => {
  const impatient = await startServer({ loadWaitMs: 1 });
  try {
    const res = await fetch(`${impatient.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "hearth-test/tiny-GGUF", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    });
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "loading");
    assert.ok(Number(res.headers.get("retry-after")) >= 1);
    // the load finishes in the background: a later request is answered
    const deadline = Date.now() + 120_000;
    for (;;) {
      const h = await (await fetch(`${impatient.base}/health`)).json();
      if (h.models.some((m: { state: string }) => m.state === "ready")) break;
      if (Date.now() > deadline) assert.fail("the model never finished loading");
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await ask(impatient.client, "hearth-test/tiny-GGUF");
    assert.equal(r.choices.length, 1);
  } finally {
    await impatient.close();
  }
});
