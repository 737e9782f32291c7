#!/usr/bin/env node
// `npm run build:web`: bundles the web app (src/web) with esbuild into dist/web: index.html naming
// content-hashed assets under assets/ (so the server may cache them for a year), each also written
// brotli- and gzip-compressed for the server to send as they are. Prints the sizes.
import { build } from "esbuild";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";
import { buildLock } from "./buildLock.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src/web");
const dest = path.join(root, "dist/web");
// built aside, then each file moved into dist/web by rename (atomic): a server reading dist/web never
// sees it missing or half written; one build at a time (the tests start several at once)
const out = path.join(root, `.web-build-${process.pid}`);
await buildLock(root);
rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, "assets"), { recursive: true });

const result = await build({
  entryPoints: [path.join(src, "main.tsx")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome111", "firefox111", "safari16.4"],
  jsx: "automatic",
  jsxImportSource: "preact",
  outdir: path.join(out, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  sourcemap: false,
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

const outputs = Object.keys(result.metafile.outputs).map((f) => path.relative(out, path.resolve(root, f)));
const js = outputs.find((f) => f.endsWith(".js"));
const css = outputs.find((f) => f.endsWith(".css"));
if (!js || !css) throw new Error(`esbuild made no ${js ? "CSS" : "JS"} bundle`);
const html = readFileSync(path.join(src, "index.html"), "utf8").replace("%JS%", `/${js}`).replace("%CSS%", `/${css}`);
writeFileSync(path.join(out, "index.html"), html);
copyFileSync(path.join(src, "favicon.svg"), path.join(out, "favicon.svg"));

const rows = [];
const compress = (dir) => {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) {
      compress(file);
      continue;
    }
    const raw = readFileSync(file);
    const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    const gz = gzipSync(raw, { level: 9 });
    writeFileSync(`${file}.br`, br);
    writeFileSync(`${file}.gz`, gz);
    rows.push([path.relative(out, file), raw.length, gz.length, br.length]);
  }
};
compress(out);
// the server finds the built app by this file (src/web holds an index.html too: the template)
writeFileSync(
  path.join(out, "build.json"),
  `${JSON.stringify({ builtAt: new Date().toISOString(), files: rows.map((r) => ({ path: r[0], bytes: r[1], gzip: r[2], brotli: r[3] })) }, null, 2)}\n`,
);
const built = [];
const list = (dir) => {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) list(file);
    else built.push(path.relative(out, file));
  }
};
list(out);
// build.json last: the server takes dist/web as built once it is there
built.sort((a, b) => (a === "build.json") - (b === "build.json"));
for (const file of built) {
  mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
  renameSync(path.join(out, file), path.join(dest, file));
}
rmSync(out, { recursive: true, force: true });
// what an earlier build left (assets under other hashes) goes
const keep = new Set(built);
const prune = (dir) => {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) prune(file);
    else if (!keep.has(path.relative(dest, file))) rmSync(file, { force: true });
  }
};
prune(dest);
const total = rows.reduce((s, r) => [s[0] + r[1], s[1] + r[2], s[2] + r[3]], [0, 0, 0]);
for (const r of rows)
  console.log(`${r[0].padEnd(40)} ${String(r[1]).padStart(8)} B  gzip ${String(r[2]).padStart(7)} B  brotli ${String(r[3]).padStart(7)} B`);
console.log(
  `${"total".padEnd(40)} ${String(total[0]).padStart(8)} B  gzip ${String(total[1]).padStart(7)} B  brotli ${String(total[2]).padStart(7)} B`,
);
