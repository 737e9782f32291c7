// `hearth serve --in-process`: models load in the server's own process where their engine allows, with
// no hop to a runner process; an engine that crashes processes it shares (llama-mm) still gets one.
// Where each model runs shows in GET /hearth/models (status.pid).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { ensureFixture } from "../../fixtures/index.ts";
import { ensureVlmFixture } from "../../fixtures/mmproj.ts";
import { NO_END_LOGIT_BIAS } from "../../fixtures/vocab.ts";
import { readFileSync } from "node:fs";
import { hearthBin, repoRoot } from "../helpers/cli.ts";
import { startServe } from "../helpers/serveProcess.ts";
import { idOf, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** The process a loaded model runs in, as GET /hearth/models says; its `runner` flag must agree. */
async function pidOf(s: TestServer, id: string): Promise<number> {
  const { models } = (await (await fetch(`${s.base}/hearth/models`)).json()) as {
    models: { id: string; status: { pid?: number; runner?: boolean } | null }[];
  };
  const status = models.find((m) => m.id === id)?.status;
  assert.ok(typeof status?.pid === "number", `no pid for ${id}: ${JSON.stringify(models)}`);
  assert.equal(status.runner, status.pid !== process.pid);
  return status.pid;
}

async function answer(s: TestServer, model: string): Promise<string> {
  const r = await s.client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "hi" }],
    max_tokens: 6,
    temperature: 0,
    logit_bias: NO_END_LOGIT_BIAS,
  });
  assert.equal(r.usage?.completion_tokens, 6);
  return r.choices[0].message.content ?? "";
}

test("in process, the text model answers from the server's own process, as it does from a runner by default", {
  timeout: 240_000,
}, async () => {
  const tinyFile = await ensureFixture("tiny");
  const model = idOf(tinyFile);
  const inProcess = await startServer({ models: [tinyFile], load: { threads: 1, isolate: false } });
  servers.push(inProcess);
  const here = await answer(inProcess, model);
  assert.equal(await pidOf(inProcess, model), process.pid, "the engine runs in the server's process");
  const isolated = await startServer({ models: [tinyFile] });
  servers.push(isolated);
  const there = await answer(isolated, model);
  const runner = await pidOf(isolated, model);
  assert.notEqual(runner, process.pid, "by default the engine runs in a runner process");
  process.kill(runner, 0); // a live process
  assert.equal(here, there, "the same greedy answer either way");
});

test("in process, a vision model on llama-mm still runs in a runner process of its own", { timeout: 240_000 }, async () => {
  const fx = await ensureVlmFixture();
  const s = await startServer({ models: [fx.model], mmproj: fx.mmproj, load: { threads: 1, contextSize: 512, isolate: false } });
  servers.push(s);
  const model = idOf(fx.model);
  const r = await s.client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 4, temperature: 0 });
  assert.ok(r.choices[0].message.content !== undefined);
  assert.notEqual(await pidOf(s, model), process.pid);
});

test("hearth serve --in-process: the model answers from the server's process, which has no runner child", {
  timeout: 240_000,
}, async () => {
  const tinyFile = await ensureFixture("tiny");
  const model = idOf(tinyFile);
  const serve = await startServe(
    [process.execPath, hearthBin, "serve", tinyFile, "--port", "0", "--threads", "1", "--in-process", "--quiet"],
    {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: "1", HEARTH_API_KEY: "" },
    },
  );
  try {
    const r = await fetch(`${serve.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 4, logit_bias: NO_END_LOGIT_BIAS }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(((await r.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens, 4);
    const { models } = (await (await fetch(`${serve.base}/hearth/models`)).json()) as {
      models: { id: string; status: { pid?: number } | null }[];
    };
    assert.equal(models.find((m) => m.id === model)?.status?.pid, serve.child.pid);
    // no runner: the server's process started no other
    const children = readFileSync(`/proc/${serve.child.pid}/task/${serve.child.pid}/children`, "utf8").trim();
    assert.equal(children, "", `child processes: ${children}`);
  } finally {
    serve.child.kill("SIGTERM");
    assert.equal(await serve.exited, 0);
  }
});
