import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { importCycles, importsOf, layerViolations, readImports } from "../helpers/imports.ts";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");

test("every import in src/ points to its own layer's folder or below, never up or sideways", () => {
  const edges = readImports(src);
  assert.ok(edges.length > 300, `read ${edges.length} imports`);
  assert.deepEqual(layerViolations(edges), []);
});

test("src/ has no import cycle", () => {
  assert.deepEqual(importCycles(readImports(src)), []);
});

test("the checks catch an upward arrow, a sideways one, an engine importing another, and a cycle", () => {
  const edges = [
    ...importsOf("store/resolve.ts", 'import { plan } from "../planner/plan.ts";'),
    ...importsOf("media/audio.ts", 'import type { X } from "../streams/eventQueue.ts";'),
    ...importsOf("backends/llama/index.ts", 'const m = await import("../onnx/index.ts");'),
    ...importsOf("server/a.ts", 'export { b } from "./b.ts";'),
    ...importsOf("server/b.ts", 'import {\n  a,\n} from "./a.ts";'),
  ];
  const found = layerViolations(edges);
  assert.equal(found.length, 3, found.join("\n"));
  assert.match(found[0], /^store\/resolve.ts:1 -> planner\/plan.ts: points up/);
  assert.match(found[1], /sideways/);
  assert.match(found[2], /the engine llama imports the engine onnx/);
  assert.deepEqual(importCycles(edges), ["server/a.ts -> server/b.ts -> server/a.ts"]);
});
