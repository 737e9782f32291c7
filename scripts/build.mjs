#!/usr/bin/env node
// `npm run build` (also `prepare`, so `npm ci` and `npm pack` build): src/ -> dist/ (ESM, .d.ts,
// source maps) with tsc, the CLI's verb index, then `npm run build:web` when package.json has that
// script (the web app's bundle: adding the script is all it takes), and the native thread-pool
// helper (scripts/build-native.mjs).
// tsc writes into a fresh folder that replaces dist/ only when complete, so a `hearth` already
// running from dist/ (a test, a server) never sees it half-built; one build runs at a time
// (buildLock.mjs); dist/.build-stamp is written last,
// when every step succeeded: bin/hearth.js compares it with src/ to choose dist/ or the sources.
import { spawnSync } from "node:child_process";
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildLock } from "./buildLock.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const fresh = path.join(root, `.dist-build-${process.pid}`);
await buildLock(root);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) {
    rmSync(fresh, { recursive: true, force: true });
    console.error(`build failed: ${cmd} ${args.join(" ")} (${r.signal ?? `exit ${r.status}`})`);
    process.exit(r.status ?? 1);
  }
}

run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", fresh]);
// the index of CLI verbs that lets `hearth --help` and `hearth <verb>` skip the other verbs' imports
run(process.execPath, [path.join(fresh, "cli/verbs.js")]);
const old = `${fresh}-old`;
// the web app built last time stays served until build:web replaces it, file by file
if (existsSync(path.join(dist, "web"))) renameSync(path.join(dist, "web"), path.join(fresh, "web"));
try {
  renameSync(dist, old);
} catch (e) {
  if (e.code !== "ENOENT") throw e;
}
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });
run("npm", ["run", "build:web", "--if-present"]);
// the llama.cpp thread-pool helper (says why and goes on where it cannot be built)
run(process.execPath, [path.join(root, "scripts/build-native.mjs")]);
writeFileSync(path.join(dist, ".build-stamp"), `${new Date().toISOString()}\n`);
