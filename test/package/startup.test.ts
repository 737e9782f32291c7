// The compiled CLI starts light: `hearth --help` and `--version` import no engine, no server and no
// hub client, `hearth <verb>` imports that verb only, and the help lists the same verbs as the
// sources do. Builds dist/ first (swapped in whole, so other tests running hearth are unaffected).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { hearthBin, repoRoot } from "../helpers/cli.ts";

const work = mkdtempSync(path.join(os.tmpdir(), "hearth-startup-"));
const main = path.join(repoRoot, "dist/cli/main.js");
const HEAVY = ["fastify", "node-llama-cpp", "@fugood/", "sharp", "onnxruntime-node", "sherpa-onnx", "@huggingface/hub", "prom-client"];

// records every module the process resolves, by URL, into a file
const hooks = path.join(work, "hooks.mjs");
writeFileSync(
  hooks,
  `
import { appendFileSync } from "node:fs";
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  appendFileSync(process.env.HEARTH_TEST_MODULE_LOG, r.url + "\\n");
  return r;
}`,
);
const register = path.join(work, "register.mjs");
writeFileSync(register, `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hooks).href)});`);

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const log = path.join(work, `modules-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", register, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", HEARTH_TEST_MODULE_LOG: log, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, modules: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

const heavyIn = (modules: string[]) => HEAVY.filter((h) => modules.some((m) => m.includes(`/node_modules/${h}`)));

test("the compiled CLI: --help and --version import nothing heavy; a verb imports only itself", { timeout: 300_000 }, () => {
  const build = spawnSync(process.execPath, [path.join(repoRoot, "scripts/build.mjs")], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);

  const help = run([main, "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.deepEqual(heavyIn(help.modules), []);
  assert.ok(!help.modules.some((m) => m.includes("/dist/cli/commands/")), "no verb module for the top-level help");

  const fromSources = spawnSync(process.execPath, [hearthBin, "--help"], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, HEARTH_FROM_SOURCE: "1" },
  });
  assert.equal(help.stdout, fromSources.stdout, "the compiled help lists what the sources list");
  for (const verb of ["infer", "serve", "pull", "bench", "tune", "plan", "devices", "list|ls", "remove|rm"])
    assert.match(help.stdout, new RegExp(`^  ${verb.replace("|", "\\|")} `, "m"));

  const version = run([main, "--version"]);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version);
  assert.deepEqual(heavyIn(version.modules), []);

  const infer = run([main, "infer", "--help"]);
  assert.equal(infer.code, 0, infer.stderr);
  assert.match(infer.stdout, /--max-tokens/);
  assert.ok(!infer.modules.some((m) => m.includes("/node_modules/fastify")), "infer's help does not load the server");
  assert.ok(!infer.modules.some((m) => /\/dist\/cli\/commands\/(?!infer\.js)/.test(m)), "only infer's module is imported");

  const serve = run([main, "serve", "--help"]);
  assert.match(serve.stdout, /--keep-alive/);
  const rm = run([main, "rm", "--help"]);
  assert.match(rm.stdout, /Usage: hearth remove\|rm/);

  const typo = run([main, "serv"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command 'serv'[\s\S]*Did you mean serve\?/);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
