#!/usr/bin/env node
// The `hearth` command. Runs the compiled package (dist/). In a checkout of the repository it runs
// the TypeScript sources through tsx instead when they are newer than the build (or there is no
// build), so an edit is never shadowed by a stale dist/; HEARTH_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = `${root}dist/cli/main.js`;
const stamp = `${root}dist/.build-stamp`;
const sources = `${root}src`;

function newestSource() {
  let newest = 0;
  for (const f of readdirSync(sources, { recursive: true })) {
    const t = statSync(`${sources}/${f}`).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function fromSource() {
  if (process.env.HEARTH_FROM_SOURCE === "1") return true;
  if (!existsSync(sources)) return false; // an installed package ships dist/ only
  if (!existsSync(stamp)) return true;
  return newestSource() > statSync(stamp).mtimeMs;
}

if (fromSource()) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
} else {
  await import(built);
}
