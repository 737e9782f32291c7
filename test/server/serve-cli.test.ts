// `hearth serve` as a user runs it: a child process that prints its address, serves the models it
// was given, logs one line per request and stops cleanly on SIGTERM; bad flags fail with one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { hearthBin, repoRoot, runHearth } from "../helpers/cli.ts";
import { idOf } from "./helpers.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-serve-cli-"));
const env = { HEARTH_HOME: home, NO_COLOR: "1", HEARTH_API_KEY: "" };

test("hearth serve <model> --port 0: prints the address, answers, logs requests, stops on SIGTERM", async () => {
  const tiny = await ensureFixture("tiny");
  const child = spawn(process.execPath, [hearthBin, "serve", tiny, "--port", "0", "--threads", "1", "--parallel", "1"], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    let base: string | undefined;
    while (!base) {
      base = /hearth serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      if (Date.now() > deadline) assert.fail(`no address printed:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(stdout, new RegExp(`models: ${idOf(tiny)}`));
    for (;;) {
      const h: Response = await fetch(`${base}/health`);
      if (h.status === 200) break;
      assert.equal((await h.json()).status, "loading");
      if (Date.now() > deadline + 60_000) assert.fail("never ready");
      await new Promise((r) => setTimeout(r, 200));
    }
    const r = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: idOf(tiny), messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    });
    assert.equal(r.status, 200);
    await new Promise((r) => setTimeout(r, 200));
    assert.match(stderr, /POST \/v1\/chat\/completions 200 \d+ms model=tiny-g1 tokens=\d+\/\d+/);
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, stderr);
});

test("hearth serve with bad flags or a missing model fails with one line and a non-zero exit", async () => {
  const port = await runHearth(["serve", "--port", "http"], { env });
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port "http" must be a whole number/);
  const missing = await runHearth(["serve", "./no/such/model.gguf", "--port", "0"], { env });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no model file/);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  const size = await runHearth(["serve", "--memory-budget", "lots"], { env });
  assert.equal(size.code, 2);
  assert.match(size.stderr, /not a size/);
});
