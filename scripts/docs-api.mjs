// `npm run docs:api`: the API reference from the doc comments of the public entry points
// (src/index.ts, src/ai-sdk/index.ts) into docs/api/, with TypeDoc. TypeDoc needs TypeScript's
// compiler API (5.x/6.0), which the project's TypeScript 7 does not ship, so TypeDoc and its
// TypeScript live in scripts/typedoc/ (exact pins, their own lock file), installed here on first use.
// Any warning (an undocumented export, a type referenced but not exported, a broken link) fails.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tools = path.join(root, "scripts/typedoc");
const typedoc = path.join(tools, "node_modules/typedoc/bin/typedoc");
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: "inherit" });

if (!existsSync(typedoc)) run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], tools);
try {
  run(process.execPath, [typedoc, "--options", path.join(root, "typedoc.json"), ...process.argv.slice(2)], root);
} catch (e) {
  process.exitCode = typeof e.status === "number" ? e.status : 1;
}
