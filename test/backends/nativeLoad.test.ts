// An engine whose native code does not load says so in one line naming the engine, its package and
// what to do; real failures from Node's loader (a package that is not there, a binary that is not one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { engineLoadError } from "../../src/backends/nativeLoad.ts";
import { HearthError } from "../../src/errors/HearthError.ts";

async function failure(load: () => unknown): Promise<unknown> {
  try {
    await load();
  } catch (e) {
    return e;
  }
  assert.fail("expected the load to fail");
}

test("a platform binary that is not a binary: one line naming the engine, the package and what to do", async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "hearth-native-")), "engine.node");
  writeFileSync(file, "not an ELF file");
  const e = engineLoadError("whisper", await failure(() => createRequire(import.meta.url)(file)));
  assert.ok(e instanceof HearthError);
  assert.equal(e.code, "backend_unavailable");
  assert.match(
    e.line,
    new RegExp(`the whisper engine's native code \\(@fugood/whisper.node\\) does not load on ${process.platform}-${process.arch}`),
  );
  assert.match(e.line, /--backend/);
  assert.doesNotMatch(e.line, /\n/);
});

const missing: string = "sherpa-onnx-node-not-installed-anywhere";

test("a package that is not installed: the engine and its package are named", async () => {
  const e = engineLoadError("sherpa", await failure(() => import(missing)));
  assert.ok(e instanceof HearthError);
  assert.match(e.line, /the sherpa engine's native code \(sherpa-onnx-node\) does not load/);
  assert.match(e.line, /npm install sherpa-onnx-node/);
});

test("other errors pass through unchanged", () => {
  const plain = new Error("the model file is truncated");
  assert.equal(engineLoadError("llama", plain), plain);
  const own = new HearthError("bad_input", "x");
  assert.equal(engineLoadError("llama", own), own);
});
