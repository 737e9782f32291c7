// Two `hearth serve` replicas behind Debian's nginx, as docs/deploy.md tells an operator to run them:
// requests spread over both; one replica killed mid-request; the request in flight there fails (an
// error, not a hang) and every later request is answered by the other. Each replica has its own
// HEARTH_HOME and reads the model from the same file, read-only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { hearthBin, repoRoot } from "../helpers/cli.ts";
import { startServe, type ServeProcess } from "../helpers/serveProcess.ts";

const work = mkdtempSync(path.join(os.tmpdir(), "hearth-nginx-"));
const nginxBin = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].find((p) => existsSync(p)) ?? "nginx";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** The upstream block and proxy settings docs/deploy.md shows, with a test's paths and ports. */
function nginxConf(dir: string, listen: number, replicas: string[]): string {
  return `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream hearth {
${replicas.map((r) => `    server ${r} max_fails=1 fail_timeout=30s;`).join("\n")}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${listen};
    client_max_body_size 50m;
    location / {
      proxy_pass http://hearth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_connect_timeout 2s;
      proxy_read_timeout 300s;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 2;
      add_header X-Hearth-Upstream $upstream_addr always;
    }
  }
}
`;
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, "127.0.0.1", () => {
        c.end();
        resolve(true);
      });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

test("two hearth serve replicas behind nginx: requests spread, a killed replica fails only its in-flight request", {
  timeout: 900_000,
}, async (t) => {
  assert.ok(
    spawnSync(nginxBin, ["-v"]).status === 0,
    "nginx is not installed: run `bash scripts/system-deps.sh` (Debian: apt-get install nginx)",
  );
  const tiny = await ensureFixture("tiny");
  const model = path.basename(tiny, ".gguf");
  const replicas: ServeProcess[] = [];
  let nginx: ChildProcess | undefined;
  try {
    for (const name of ["a", "b"]) {
      const home = path.join(work, `home-${name}`);
      mkdirSync(home);
      // every token waits 40 ms in the runner, so a long answer is still streaming when its replica is killed
      const env = { ...process.env, HEARTH_HOME: home, NO_COLOR: "1", HEARTH_API_KEY: "", HEARTH_TEST_RUNNER_SLOW: "llama:40" };
      replicas.push(
        await startServe([process.execPath, hearthBin, "serve", tiny, "--port", "0", "--threads", "1", "--parallel", "2", "--quiet"], {
          cwd: repoRoot,
          env,
          // a fresh HEARTH_HOME probes the machine first (GPU builds, engines): slow on a loaded machine
          timeoutMs: 300_000,
        }),
      );
    }
    const upstreams = replicas.map((r) => new URL(r.base).host);
    const listen = await freePort();
    const dir = path.join(work, "nginx");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "nginx.conf"), nginxConf(dir, listen, upstreams));
    let nginxErr = "";
    nginx = spawn(nginxBin, ["-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
    nginx.stderr!.on("data", (d) => (nginxErr += d));
    await waitForPort(listen, 10_000).catch((e) => assert.fail(`${e}: ${nginxErr}`));
    const lb = `http://127.0.0.1:${listen}`;

    const ask = async (maxTokens = 2) => {
      const r = await withTimeout(
        fetch(`${lb}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: maxTokens, temperature: 0 }),
        }),
        60_000,
        "a request through nginx",
      );
      const body = await r.text();
      // the last address nginx tried is the one that answered
      return { status: r.status, body, upstream: (r.headers.get("x-hearth-upstream") ?? "").split(", ").pop()! };
    };

    const health = await fetch(`${lb}/health`);
    assert.equal(health.status, 200, "the balancer's health check passes through");

    const before = [];
    for (let i = 0; i < 6; i++) before.push(await ask());
    for (const r of before) assert.equal(r.status, 200, r.body);
    assert.deepEqual(new Set(before.map((r) => r.upstream)), new Set(upstreams), "round robin reaches both replicas");

    // a long streamed answer; its replica is killed once the first tokens are through
    const stream = await fetch(`${lb}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model,
        messages: [{ role: "user", content: "tell a long story" }],
        max_tokens: 400,
        temperature: 0,
        stream: true,
      }),
    });
    assert.equal(stream.status, 200);
    const victim = stream.headers.get("x-hearth-upstream")!;
    const survivor = upstreams.find((u) => u !== victim)!;
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let streamed = "";
    while (!streamed.includes("data:")) {
      const { value, done } = await reader.read();
      assert.equal(done, false, "the stream ended before its first token");
      streamed += decoder.decode(value);
    }
    const killed = replicas.find((r) => new URL(r.base).host === victim)!;
    killed.child.kill("SIGKILL");
    const ending = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return "ended";
        streamed += decoder.decode(value);
      }
    })().catch((e: unknown) => `failed: ${e}`);
    const outcome = await withTimeout(ending, 30_000, "the in-flight stream");
    t.diagnostic(`in-flight stream on ${victim} after SIGKILL: ${outcome}`);
    // a cut stream: the reader fails, or it ends without the [DONE] a finished answer carries
    assert.ok(
      outcome.startsWith("failed") || !streamed.includes("[DONE]"),
      `the in-flight request should fail, got ${outcome}: ${streamed.slice(-200)}`,
    );

    const after = [];
    for (let i = 0; i < 6; i++) after.push(await ask());
    t.diagnostic(`upstreams before: ${before.map((r) => r.upstream).join(" ")}; after: ${after.map((r) => r.upstream).join(" ")}`);
    for (const r of after) {
      assert.equal(r.status, 200, r.body);
      assert.equal(r.upstream, survivor, "the surviving replica answers");
    }
    assert.match(readFileSync(path.join(dir, "error.log"), "utf8"), /upstream|connect\(\) failed/, "nginx saw the replica go");
  } finally {
    nginx?.kill("SIGTERM");
    for (const r of replicas) r.child.kill("SIGTERM");
    await Promise.all(replicas.map((r) => withTimeout(r.exited, 20_000, "a replica's exit").catch(() => r.child.kill("SIGKILL"))));
    rmSync(work, { recursive: true, force: true });
  }
});
