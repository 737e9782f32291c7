// `hearth pull` through the real CLI against the mock hub: the happy path and every fault the issue
// names (cut connection, corrupt byte, 429/5xx, unknown repo or quant, bad names, a concurrent pull,
// a full disk, Ctrl-C), each ending with a consistent store.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fixtureRepos, startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { hearthBin, repoRoot, runHearth } from "../helpers/cli.ts";

let hub: MockHub;
const homes: string[] = [];
const TINY = "hearth-test/tiny-GGUF";

before(async () => {
  hub = await startMockHub(await fixtureRepos());
});
after(async () => {
  await hub.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function newHome(): string {
  const h = mkdtempSync(path.join(os.tmpdir(), "hearth-store-"));
  homes.push(h);
  return h;
}
const envFor = (home: string, extra: NodeJS.ProcessEnv = {}) => ({ HF_ENDPOINT: hub.url, HEARTH_HOME: home, HF_TOKEN: "", ...extra });
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const repoFile = (repo: string, p: string) => hub.repos.find((r) => r.id === repo)!.files.find((f) => f.path === p)!.data;
const storeFile = (home: string, repo: string, p: string) => path.join(home, "models", ...repo.split("/"), p);
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("error:"));

async function listed(home: string): Promise<{ name: string; quants: string[]; embedded: boolean }[]> {
  const r = await runHearth(["list", "--json"], { env: envFor(home) });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { name: string; quants: string[]; embedded: boolean }[]).filter((m) => !m.embedded);
}

function partialFiles(home: string): string[] {
  const dir = path.join(home, "partial");
  return existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
    : [];
}

function spawnPull(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [hearthBin, "pull", ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

async function until(cond: () => boolean, what: string, ms = 60_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("pull takes Q4_K_M by default, verifies it, and lists it only when complete", async () => {
  const home = newHome();
  hub.reset();
  const r = await runHearth(["pull", TINY, "--json"], { env: envFor(home) });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.quant, "Q4_K_M");
  assert.equal(out.upToDate, false);
  const data = repoFile(TINY, "tiny-Q4_K_M.gguf");
  assert.equal(sha(readFileSync(storeFile(home, TINY, "tiny-Q4_K_M.gguf"))), sha(data));
  assert.deepEqual(await listed(home), [{ ...(await listed(home))[0], name: TINY, quants: ["Q4_K_M"] }]);
  assert.deepEqual(partialFiles(home), [], "no partial files left");
  const manifest = JSON.parse(readFileSync(storeFile(home, TINY, "manifest.json"), "utf8"));
  assert.equal(manifest.commit, hub.repos.find((x) => x.id === TINY)!.sha);
  assert.equal(manifest.facts.architecture, "llama", "facts from the remote header");
  assert.equal(manifest.files.find((f: { path: string }) => f.path === "tiny-Q4_K_M.gguf").sha256, sha(data));

  const again = await runHearth(["pull", TINY, "--json"], { env: envFor(home) });
  assert.equal(JSON.parse(again.stdout).upToDate, true, "a second pull fetches nothing");
});

test("--list-quants shows every quant with sizes and the default, downloading nothing", async () => {
  const home = newHome();
  hub.reset();
  const r = await runHearth(["pull", TINY, "--list-quants", "--json"], { env: envFor(home) });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.quants.map((q: { name: string }) => q.name).sort(), ["Q4_0", "Q4_K_M", "Q8_0"]);
  assert.equal(out.quants.find((q: { default: boolean }) => q.default).name, "Q4_K_M");
  assert.ok(out.quants.every((q: { size: number }) => q.size > 100_000));
  assert.equal(hub.bytesServed(), 0);
  const table = await runHearth(["pull", TINY, "--list-quants"], { env: envFor(home) });
  assert.match(table.stdout, /Q8_0\s+162\.\d KB/);
});

test("split GGUF shards are fetched together, with the mmproj of a vision repo; a non-GGUF repo brings its tokenizer and config", async () => {
  const home = newHome();
  const split = await runHearth(["pull", "hearth-test/split-GGUF:q8_0", "--json"], { env: envFor(home) });
  assert.equal(split.code, 0, split.stderr);
  assert.deepEqual(
    JSON.parse(split.stdout).files.map((f: { path: string }) => f.path),
    ["Q8_0/tiny-Q8_0-00001-of-00002.gguf", "Q8_0/tiny-Q8_0-00002-of-00002.gguf"],
  );
  const vlm = await runHearth(["pull", "hearth-test/vlm-GGUF", "--json"], { env: envFor(home) });
  assert.equal(vlm.code, 0, vlm.stderr);
  const v = JSON.parse(vlm.stdout);
  assert.equal(v.type, "vlm");
  assert.ok(v.files.some((f: { path: string }) => f.path === "mmproj-tiny-F16.gguf"));
  const onnx = await runHearth(["pull", "hearth-test/onnx-cls", "--json"], { env: envFor(home) });
  assert.equal(onnx.code, 0, onnx.stderr);
  const o = JSON.parse(onnx.stdout);
  assert.equal(o.format, "onnx");
  assert.deepEqual(o.files.map((f: { path: string }) => f.path).sort(), [
    "config.json",
    "onnx/model.onnx",
    "preprocessor_config.json",
    "tokenizer.json",
  ]);
  assert.ok(!existsSync(storeFile(home, "hearth-test/onnx-cls", "README.md")), "the model card is not part of the model");
});

test("a pull cut at 50% that gives up leaves a partial file; the next pull resumes it and fetches fewer bytes", async () => {
  const home = newHome();
  hub.reset();
  const file = "tiny-Q8_0.gguf";
  const size = repoFile(TINY, file).length;
  hub.faults.push({ kind: "cut", atFraction: 0.5, path: file, times: 100 });
  const first = await runHearth(["pull", `${TINY}:Q8_0`], { env: envFor(home) });
  assert.notEqual(first.code, 0);
  assert.equal(errorLines(first.stderr).length, 1, first.stderr);
  assert.match(first.stderr, /kept failing/);
  assert.deepEqual(await listed(home), [], "nothing half-written is listed");
  // (what the hub served is no measure of what was kept: fetch drops the chunks it still held when
  // the connection broke, and the next try asks for them again)
  assert.ok(hub.bytesServed(file) > 0);

  hub.reset();
  const second = await runHearth(["pull", `${TINY}:Q8_0`, "--json"], { env: envFor(home) });
  assert.equal(second.code, 0, second.stderr);
  const out = JSON.parse(second.stdout);
  assert.ok(out.resumedBytes > 0 && out.resumedBytes <= size / 2, `resumed from ${out.resumedBytes} of ${size}`);
  assert.ok(hub.bytesServed(file) < size, `second pull fetched ${hub.bytesServed(file)} of ${size}`);
  assert.equal(hub.bytesServed(file), size - out.resumedBytes);
  assert.equal(sha(readFileSync(storeFile(home, TINY, file))), sha(repoFile(TINY, file)));
});

test("a corrupted byte is detected and the file is fetched again; 429 and 503 are retried", async () => {
  const home = newHome();
  hub.reset();
  const file = "tiny-Q4_0.gguf";
  hub.faults.push(
    { kind: "flip", path: file },
    { kind: "status", status: 429, retryAfter: 1, path: "/api/models" },
    { kind: "status", status: 503, path: file },
  );
  const r = await runHearth(["pull", `${TINY}:Q4_0`], { env: envFor(home) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /checksum mismatch/);
  assert.match(r.stderr, /HTTP 429, retrying in 1\.0 s/);
  assert.match(r.stderr, /HTTP 503, retrying/);
  assert.equal(hub.bytesServed(file), 2 * repoFile(TINY, file).length);
  assert.equal(sha(readFileSync(storeFile(home, TINY, file))), sha(repoFile(TINY, file)));
});

test("bad input: unknown repo, unknown quant, '..' or an absolute path, an unsafe hub path: one line, non-zero exit, nothing stored", async () => {
  const home = newHome();
  hub.repos.push({ id: "hearth-test/evil", sha: "e".repeat(40), files: [{ path: "../../evil.gguf", data: Buffer.from("x"), lfs: true }] });
  const cases: [string[], RegExp][] = [
    [["pull", "nobody/no-such-model"], /not found on the hub/],
    [["pull", `${TINY}:Q5_K_M`], /has no quant "Q5_K_M"; it has .*Q4_K_M/],
    [["pull", "../../etc/passwd"], /invalid model name.*"\.\." is not allowed/],
    [["pull", "/etc/passwd"], /invalid model name/],
    [["pull", "org/repo:bad quant"], /invalid model name/],
    [["pull", "hearth-test/evil"], /unsafe file path/],
    [["pull", "hearth-test/private-GGUF"], /refused access.*HF_TOKEN/],
  ];
  for (const [args, re] of cases) {
    const r = await runHearth(args, { env: envFor(home) });
    assert.notEqual(r.code, 0, args.join(" "));
    assert.equal(errorLines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, re, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line only: ${r.stderr}`);
  }
  assert.deepEqual(await listed(home), []);
  assert.ok(!existsSync(path.join(home, "evil.gguf")) && !existsSync(path.join(os.tmpdir(), "evil.gguf")));
  const withToken = await runHearth(["pull", "hearth-test/private-GGUF"], { env: envFor(home, { HF_TOKEN: "hf_test_token" }) });
  assert.equal(withToken.code, 0, withToken.stderr);
});

test("a full disk is refused before a byte of weights is fetched", async () => {
  const home = newHome();
  hub.reset();
  const r = await runHearth(["pull", TINY], { env: envFor(home, { HEARTH_TEST_FREE_BYTES: "1000" }) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not enough disk space/);
  assert.equal(hub.bytesServed(), 0);
  assert.deepEqual(await listed(home), []);
  assert.deepEqual(partialFiles(home), []);
});

test("a quant too large for memory is refused from the remote header before download; --force overrides", async () => {
  const home = newHome();
  hub.reset();
  const r = await runHearth(["pull", TINY], { env: envFor(home, { HEARTH_TEST_MEMORY_BYTES: "200000" }) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /needs about .* of memory .*--force/);
  assert.equal(hub.bytesServed(), 0, "only the header was read");
  assert.ok([...hub.probed.values()].reduce((a, b) => a + b, 0) > 0, "the header was read with a Range request");
  const forced = await runHearth(["pull", TINY, "--force"], { env: envFor(home, { HEARTH_TEST_MEMORY_BYTES: "200000" }) });
  assert.equal(forced.code, 0, forced.stderr);
});

test("a second concurrent pull waits (saying so) or, with --no-wait, says busy; rm says busy; the store ends consistent", async () => {
  const home = newHome();
  hub.reset();
  // slow enough (about 14 s) that the later commands start, even on a loaded machine, while the first holds the lock
  hub.faults.push({ kind: "slow", bytesPerSec: 12_000, path: "tiny-Q4_K_M.gguf" });
  const a = spawnPull([TINY, "--json"], envFor(home));
  await until(() => hub.bytesServed("tiny-Q4_K_M.gguf") > 0, "the first pull to start downloading");
  const [busy, waiter, rm] = await Promise.all([
    runHearth(["pull", TINY, "--no-wait"], { env: envFor(home) }),
    runHearth(["pull", TINY, "--json"], { env: envFor(home) }),
    runHearth(["rm", TINY], { env: envFor(home) }),
  ]);
  assert.notEqual(rm.code, 0, "rm does not delete under a running pull");
  assert.match(rm.stderr, /being pulled by another hearth process/);
  assert.notEqual(busy.code, 0, busy.stdout);
  assert.match(busy.stderr, /being pulled by another hearth process/);
  assert.equal(errorLines(busy.stderr).length, 1);
  const first = await a.done;
  assert.equal(first.code, 0, first.stderr);
  assert.equal(waiter.code, 0, waiter.stderr);
  assert.match(waiter.stderr, /waiting for another hearth process/);
  assert.equal(JSON.parse(waiter.stdout).upToDate, true, "the waiter found the model complete");
  assert.equal(hub.bytesServed("tiny-Q4_K_M.gguf"), repoFile(TINY, "tiny-Q4_K_M.gguf").length, "downloaded once");
  assert.deepEqual(
    (await listed(home)).map((m) => m.quants),
    [["Q4_K_M"]],
  );
  assert.equal(sha(readFileSync(storeFile(home, TINY, "tiny-Q4_K_M.gguf"))), sha(repoFile(TINY, "tiny-Q4_K_M.gguf")));
});

test("Ctrl-C during a pull exits 130, lists nothing, and a later pull resumes", async () => {
  const home = newHome();
  hub.reset();
  const file = "tiny-Q8_0.gguf";
  const size = repoFile(TINY, file).length;
  hub.faults.push({ kind: "slow", bytesPerSec: 40_000, path: file });
  const p = spawnPull([`${TINY}:Q8_0`], envFor(home));
  await until(() => hub.bytesServed(file) > 40_000, "some bytes to arrive");
  p.child.kill("SIGINT");
  const r = await p.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted.*run the same pull again to resume/);
  assert.deepEqual(await listed(home), []);
  assert.equal(partialFiles(home).length, 1, "the partial file is kept");
  assert.ok(!existsSync(path.join(home, "locks", "hearth-test--tiny-GGUF.lock")), "the lock is released");

  hub.reset();
  const again = await runHearth(["pull", `${TINY}:Q8_0`, "--json"], { env: envFor(home) });
  assert.equal(again.code, 0, again.stderr);
  assert.ok(hub.bytesServed(file) < size, `resumed: fetched ${hub.bytesServed(file)} of ${size}`);
  assert.equal(sha(readFileSync(storeFile(home, TINY, file))), sha(repoFile(TINY, file)));
});
