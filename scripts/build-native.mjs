#!/usr/bin/env node
// `npm run build:native` (and part of `npm run build`): compiles hearth's thread-pool helper for
// node-llama-cpp's prebuilt llama.cpp (native/llama-threads/llama-threads.cc, what it does is said
// there) into native/build/llama-threads.node, which the package ships.
//
// It needs llama.cpp's headers of the release node-llama-cpp pins (read from the git bundle
// node-llama-cpp ships: no network), node-llama-cpp's addon headers (in its npm package),
// node-addon-api, Node's own headers, git and a C++ compiler: about 3 s. Where something is missing
// it says what and exits 0 (hearth then runs the prebuilt without a persistent pool and says so);
// `--strict` makes that an error.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sourceDir = path.join(root, "native", "llama-threads");
const sources = ["llama-threads.cc", "token-loop.cc"].map((f) => path.join(sourceDir, f));
const headers = ["binding.h", "step-ways.h"].map((f) => path.join(sourceDir, f));
const outDir = path.join(root, "native", "build");
const output = path.join(outDir, "llama-threads.node");
const stampFile = path.join(outDir, "llama-threads.json");
const strict = process.argv.includes("--strict");
const require = createRequire(path.join(root, "package.json"));

let work;

function skip(why) {
  if (work) rmSync(work, { recursive: true, force: true });
  console.error(`hearth: the llama.cpp thread-pool helper was not built: ${why}`);
  console.error("        (node-llama-cpp's prebuilt then decodes without a persistent thread pool)");
  process.exit(strict ? 1 : 0);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error) return { ok: false, out: String(r.error.message) };
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

if (process.platform !== "linux") skip(`it is built on Linux only (this is ${process.platform})`);

let nlcDir;
try {
  nlcDir = path.resolve(path.dirname(require.resolve("node-llama-cpp")), "..");
} catch {
  skip("node-llama-cpp is not installed");
}
const nlcVersion = JSON.parse(readFileSync(path.join(nlcDir, "package.json"), "utf8")).version;
const addonHeaders = path.join(nlcDir, "llama", "addon");
const bundle = path.join(nlcDir, "llama", "gitRelease.bundle");
let addonApi;
try {
  addonApi = path.dirname(require.resolve("node-addon-api/package.json", { paths: [nlcDir] }));
} catch {
  skip("node-addon-api (a dependency of node-llama-cpp) is not installed");
}
const nodeIncludes = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), "..")]
  .filter(Boolean)
  .map((dir) => path.join(dir, "include", "node"));
const nodeInclude = nodeIncludes.find((dir) => existsSync(path.join(dir, "node_api.h")));
if (!nodeInclude) skip(`Node's headers (node_api.h) are not in ${nodeIncludes.join(" or ")}`);
if (!existsSync(path.join(addonHeaders, "AddonContext.h"))) skip(`node-llama-cpp ${nlcVersion} ships no addon headers`);
if (!existsSync(bundle)) skip(`node-llama-cpp's llama.cpp source (${bundle}) is missing`);

// up to date: same source, same build steps (this script), same node-llama-cpp
const stamp = {
  nodeLlamaCpp: nlcVersion,
  sha256: [...sources, ...headers, fileURLToPath(import.meta.url)]
    .reduce((hash, file) => hash.update(readFileSync(file)), createHash("sha256"))
    .digest("hex"),
};
if (existsSync(output) && existsSync(stampFile)) {
  try {
    if (JSON.stringify(JSON.parse(readFileSync(stampFile, "utf8"))) === JSON.stringify(stamp)) process.exit(0);
  } catch {}
}

const compiler = ["c++", "g++", "clang++"].find((c) => run(c, ["--version"]).ok);
if (!compiler) skip("no C++ compiler (c++, g++ or clang++) was found");
if (!run("git", ["--version"]).ok) skip("git was not found (it reads llama.cpp's headers from node-llama-cpp's bundle)");

work = mkdtempSync(path.join(os.tmpdir(), "hearth-native-"));
try {
  const repo = path.join(work, "llama.cpp");
  const clone = run("git", ["clone", "-q", "--no-checkout", bundle, repo]);
  if (!clone.ok) skip(`git could not read ${bundle}: ${clone.out.trim()}`);
  const list = run("git", ["-C", repo, "ls-tree", "-r", "--name-only", "HEAD", "include", "ggml/include"]);
  if (!list.ok) skip(`the bundle has no headers: ${list.out.trim()}`);
  for (const file of list.out.split("\n").filter((f) => f.endsWith(".h"))) {
    const text = run("git", ["-C", repo, "show", `HEAD:${file}`]);
    if (!text.ok) skip(`git could not read ${file}`);
    mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    writeFileSync(path.join(work, file), text.out);
  }
  mkdirSync(outDir, { recursive: true });
  const args = [
    "-O2",
    "-std=c++17",
    "-shared",
    "-fPIC",
    "-fvisibility=hidden",
    // node-llama-cpp's addon is compiled with N-API 7 (its CMakeLists): the class layout read must match
    "-DNAPI_VERSION=7",
    "-DNAPI_DISABLE_CPP_EXCEPTIONS",
    `-DHEARTH_NLC_VERSION="${nlcVersion}"`,
    `-I${path.join(work, "include")}`,
    `-I${path.join(work, "ggml", "include")}`,
    `-I${addonHeaders}`,
    `-I${addonApi}`,
    `-I${nodeInclude}`,
    ...sources,
    "-o",
    `${output}.tmp`,
    "-ldl",
  ];
  const t0 = performance.now();
  const built = run(compiler, args);
  if (!built.ok) skip(`${compiler} failed:\n${built.out.trim().split("\n").slice(-12).join("\n")}`);
  renameSync(`${output}.tmp`, output);
  writeFileSync(stampFile, `${JSON.stringify(stamp)}\n`);
  console.log(
    `hearth: built ${path.relative(root, output)} for node-llama-cpp ${nlcVersion} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
