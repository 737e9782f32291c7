// Real quantizations (fixtures/quants.ts: F16, Q8_0, Q4_K_M, Q4_0 of one model, made by
// llama-quantize) through pull's quant choice, the fit-to-memory refusal and the bench matrix.
// Skips where llama-quantize is not built (scripts/build-llama-bench.sh builds it; CI runs that).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fixtureRepos, QUANTS_REPO, startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { runHearth } from "../helpers/cli.ts";
import { quantFixtures } from "../../fixtures/quants.ts";
import { readGgufFacts } from "../../src/formats/ggufFacts.ts";
import { estimateQuantMemory } from "../../src/store/quantChoice.ts";
import type { BenchRun } from "../../src/bench/types.ts";

const made = await quantFixtures();
const skip = "missing" in made ? made.missing : false;
let hub: MockHub;
const homes: string[] = [];

before(async () => {
  if (!skip) hub = await startMockHub(await fixtureRepos());
});
after(async () => {
  await hub?.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function newHome(): string {
  const h = mkdtempSync(path.join(os.tmpdir(), "hearth-quants-"));
  homes.push(h);
  return h;
}
const envFor = (home: string, extra: NodeJS.ProcessEnv = {}) => ({ HF_ENDPOINT: hub.url, HEARTH_HOME: home, HF_TOKEN: "", ...extra });
const storeFile = (home: string, p: string) => path.join(home, "models", ...QUANTS_REPO.split("/"), p);

test("the quants really differ: llama-quantize's tensor types, in size order", { skip }, async () => {
  if ("missing" in made) return;
  const facts = await Promise.all(Object.values(made.files).map((f) => readGgufFacts(f)));
  assert.deepEqual(
    facts.map((f) => f.quant),
    ["F16", "Q8_0", "Q4_K_M", "Q4_0"],
  );
  const size = (q: keyof typeof made.files) => statSync(made.files[q]).size;
  assert.ok(size("F16") > 1.7 * size("Q8_0"), `F16 ${size("F16")} against Q8_0 ${size("Q8_0")}`);
  assert.ok(size("Q8_0") > 1.5 * Math.max(size("Q4_K_M"), size("Q4_0")));
  assert.notEqual(size("Q4_K_M"), size("Q4_0"));
});

test("pull lists the four, takes Q4_K_M by default and gets the file llama-quantize made", { skip }, async () => {
  if ("missing" in made) return;
  const home = newHome();
  const list = await runHearth(["pull", QUANTS_REPO, "--list-quants", "--json"], { env: envFor(home) });
  assert.equal(list.code, 0, list.stderr);
  const quants = JSON.parse(list.stdout).quants as { name: string; size: number; default: boolean }[];
  assert.deepEqual(quants.map((q) => q.name).sort(), ["F16", "Q4_0", "Q4_K_M", "Q8_0"]);
  assert.equal(quants.find((q) => q.default)?.name, "Q4_K_M");
  const r = await runHearth(["pull", QUANTS_REPO, "--json"], { env: envFor(home), timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).quant, "Q4_K_M");
  assert.equal((await readGgufFacts(storeFile(home, "quant-Q4_K_M.gguf"))).quant, "Q4_K_M");
});

test("a quant too large for this machine's memory is refused before download; a smaller one fits", { skip }, async () => {
  if ("missing" in made) return;
  // memory between what the product estimates for Q4_K_M and for F16 (weights + KV cache)
  const need = async (q: "F16" | "Q4_K_M") =>
    estimateQuantMemory({ name: q, size: statSync(made.files[q]).size, files: [] }, await readGgufFacts(made.files[q]));
  const [big, small] = [await need("F16"), await need("Q4_K_M")];
  assert.ok(big > small);
  const home = newHome();
  const env = envFor(home, { HEARTH_TEST_MEMORY_BYTES: String(Math.round((big + small) / 2)) });
  hub.reset();
  const refused = await runHearth(["pull", `${QUANTS_REPO}:F16`], { env });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /quants-GGUF:F16 needs about .* of memory/);
  assert.equal(hub.bytesServed("quant-F16.gguf"), 0, "nothing of the refused quant was downloaded");
  const fits = await runHearth(["pull", `${QUANTS_REPO}:Q4_K_M`], { env, timeoutMs: 120_000 });
  assert.equal(fits.code, 0, fits.stderr);
});

test("the bench matrix over quants measures each quant's own file", { skip }, async () => {
  if ("missing" in made) return;
  const home = newHome();
  const r = await runHearth(["bench", QUANTS_REPO, "--quant", "F16,Q4_0", "-t", "1", "-p", "16", "-n", "8", "-r", "2", "--json"], {
    env: envFor(home),
    timeoutMs: 300_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(r.stdout) as BenchRun;
  assert.deepEqual(
    run.cells.map((c) => c.cell.model),
    [`${QUANTS_REPO}:F16`, `${QUANTS_REPO}:Q4_0`],
  );
  for (const c of run.cells) assert.ok(c.ok && c.decodeTokensPerSec!.median > 0, c.error);
  // each cell pulled and loaded its own quant
  assert.equal((await readGgufFacts(storeFile(home, "quant-F16.gguf"))).quant, "F16");
  assert.equal((await readGgufFacts(storeFile(home, "quant-Q4_0.gguf"))).quant, "Q4_0");
});
