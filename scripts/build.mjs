#!/usr/bin/env node
// `npm run build` (also run by `prepare`, so `npm ci` and `npm pack` build): src/ -> dist/ (ESM, .d.ts,
// source maps) with tsc, then the CLI's verb index, then `npm run build:web` when package.json has that script (the web
// app's bundle: adding the script is all it takes).
// dist/.build-stamp is written last, only when every step succeeded; bin/hearth.js compares it with the
// sources to decide whether a checkout runs dist/ or src/.
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STEPS = [
  [process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"]],
  // the index of CLI verbs that lets `hearth --help` and `hearth <verb>` skip the other verbs' imports
  [process.execPath, [path.join(root, "dist/cli/verbs.js")]],
  ["npm", ["run", "build:web", "--if-present"]],
];

rmSync(path.join(root, "dist"), { recursive: true, force: true });
for (const [cmd, args] of STEPS) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) {
    console.error(`build failed: ${cmd} ${args.join(" ")} (${r.signal ?? `exit ${r.status}`})`);
    process.exit(r.status ?? 1);
  }
}
writeFileSync(path.join(root, "dist/.build-stamp"), `${new Date().toISOString()}\n`);
