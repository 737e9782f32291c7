// `hearth list`, `show`, `rm` and `clean` through the real CLI, on a store filled from the mock hub.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fixtureRepos, startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { runHearth } from "../helpers/cli.ts";
import { ensureFixture } from "../../fixtures/index.ts";

let hub: MockHub;
let home: string;
const TINY = "hearth-test/tiny-GGUF";
const env = () => ({ HF_ENDPOINT: hub.url, HEARTH_HOME: home });
const hearth = async (...args: string[]) => runHearth(args, { env: env() });
const json = async (...args: string[]) => {
  const r = await hearth(...args, "--json");
  assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const modelDir = () => path.join(home, "models", "hearth-test", "tiny-GGUF");

before(async () => {
  hub = await startMockHub(await fixtureRepos());
  home = mkdtempSync(path.join(os.tmpdir(), "hearth-verbs-"));
  for (const ref of [`${TINY}:Q8_0`, TINY, "hearth-test/vlm-GGUF"]) {
    const r = await hearth("pull", ref);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  await hub.close();
  rmSync(home, { recursive: true, force: true });
});

test("list --json: store models with their downloaded quants, sizes and types, then the embedded ones", async () => {
  const models = await json("list");
  const tiny = models.find((m: { name: string }) => m.name === TINY);
  assert.deepEqual(tiny.quants.sort(), ["Q4_K_M", "Q8_0"]);
  assert.equal(tiny.type, "llm");
  assert.equal(tiny.format, "gguf");
  assert.ok(tiny.sizeBytes > 300_000, "two quants on disk");
  assert.equal(models.find((m: { name: string }) => m.name === "hearth-test/vlm-GGUF").type, "vlm");
  const ocr = models.find((m: { name: string }) => m.name === "ocr");
  assert.equal(ocr.embedded, true);
  const table = await hearth("ls");
  assert.match(table.stdout, /hearth-test\/tiny-GGUF\s+llm\s+gguf\s+Q8_0,Q4_K_M/);
});

test("show --json: architecture, parameters, quant, context, chat template, modalities, size and memory at 4096", async () => {
  const d = await json("show", `${TINY}:q8_0`);
  assert.equal(d.quant, "Q8_0");
  assert.equal(d.architecture, "llama");
  assert.ok(d.parameters > 10_000);
  assert.equal(d.contextLength, 2048);
  assert.equal(d.hasChatTemplate, true);
  assert.deepEqual(d.modalities, ["text"]);
  assert.equal(d.sizeBytes, 162_464);
  assert.ok(d.memoryBytes4k > d.sizeBytes, "weights plus KV cache");
  assert.match(d.files.primary, /tiny-Q8_0\.gguf$/);
  const vlm = await json("show", "hearth-test/vlm-GGUF");
  assert.deepEqual(vlm.modalities, ["text", "image"]);
  const byPath = await json("show", await ensureFixture("embed"));
  assert.equal(byPath.source, "path");
  assert.equal(byPath.type, "embedder", "a bare path gets its type from the header");
  const text = await hearth("show", TINY);
  assert.match(text.stdout, /memory @4096 ctx\s+\d/);
  const missing = await hearth("show", "nobody/nothing");
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not in the store.*hearth pull nobody\/nothing/);
});

test("clean --json removes partial downloads, orphan files and stale locks, and keeps the models", async () => {
  const partial = path.join(home, "partial", "hearth-test", "tiny-GGUF");
  mkdirSync(partial, { recursive: true });
  writeFileSync(path.join(partial, "abc.part"), Buffer.alloc(1000));
  writeFileSync(path.join(modelDir(), "leftover.gguf"), Buffer.alloc(500));
  mkdirSync(path.join(home, "models", "ghost", "repo"), { recursive: true });
  writeFileSync(path.join(home, "models", "ghost", "repo", "half.gguf"), Buffer.alloc(10));
  const lock = path.join(home, "locks", "hearth-test--vlm-GGUF.lock");
  mkdirSync(lock, { recursive: true });
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old); // its holder stopped refreshing it a minute ago: stale
  const r = await json("clean");
  assert.deepEqual(r.partialFiles, ["partial/hearth-test/tiny-GGUF/abc.part"]);
  assert.deepEqual(r.orphanFiles.sort(), ["models/ghost/repo/half.gguf", "models/hearth-test/tiny-GGUF/leftover.gguf"]);
  assert.deepEqual(r.staleLocks, ["locks/hearth-test--vlm-GGUF.lock"]);
  assert.equal(r.freedBytes, 1510);
  assert.ok(!existsSync(path.join(home, "models", "ghost")));
  assert.ok(existsSync(path.join(modelDir(), "tiny-Q8_0.gguf")));
  assert.deepEqual((await json("list")).find((m: { name: string }) => m.name === TINY).quants.sort(), ["Q4_K_M", "Q8_0"]);
  assert.equal((await json("clean")).freedBytes, 0, "nothing left to clean");
});

test("rm <model>:QUANT removes one quant; rm <model> removes the model; bad names and missing models fail clearly", async () => {
  const one = await json("rm", `${TINY}:q8_0`);
  assert.deepEqual(one, { repo: TINY, quants: ["Q8_0"], removedModel: false, freedBytes: 162_464 });
  assert.ok(!existsSync(path.join(modelDir(), "tiny-Q8_0.gguf")));
  assert.ok(existsSync(path.join(modelDir(), "tiny-Q4_K_M.gguf")));
  assert.deepEqual((await json("list")).find((m: { name: string }) => m.name === TINY).quants, ["Q4_K_M"]);

  const again = await hearth("rm", `${TINY}:Q8_0`);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no downloaded quant "Q8_0"; it has Q4_K_M/);

  const all = await json("remove", TINY);
  assert.equal(all.removedModel, true);
  assert.ok(!existsSync(modelDir()));
  assert.equal(
    (await json("list")).some((m: { name: string }) => m.name === TINY),
    false,
  );

  const missing = await hearth("rm", TINY);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /is not in the store/);
  const bad = await hearth("rm", "../models");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid model name/);
  assert.ok(existsSync(path.join(home, "models", "hearth-test", "vlm-GGUF", "manifest.json")), "other models untouched");
});
