#!/usr/bin/env node
// `npm test`: install the Debian tools the tests drive (if missing), type-check, lint (Biome), then run every *.test.ts under test/ with node's test runner (through tsx).
// Usage: npm test [-- path-substring ...] to run only matching files.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const filters = process.argv.slice(2);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith(".test.ts") ? [p] : [];
  });
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run("bash", [path.join(root, "scripts/system-deps.sh")]);
// the llama.cpp thread-pool helper, where missing or stale (npm ci builds it; about 3 s)
run(process.execPath, [path.join(root, "scripts/build-native.mjs")]);
run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "."]);
run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "src/web"]);
// one formatter and linter for the whole tree (biome.json): a finding fails the run before any test
run(process.execPath, [path.join(root, "node_modules/@biomejs/biome/bin/biome"), "check"]);
const files = find(path.join(root, "test"))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
run(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files]);
