import { test } from "node:test";
import assert from "node:assert/strict";
import { cellLabel, expandMatrix, splitList, withQuants } from "../../src/bench/matrix.ts";

test("the matrix is the product of the axes given, in order", () => {
  const cells = expandMatrix({ models: ["a.gguf", "b.gguf"], threads: [1, 2], batchSizes: [128, 512] });
  assert.equal(cells.length, 8);
  assert.deepEqual(cells[0], {
    model: "a.gguf",
    backend: undefined,
    device: "cpu",
    threads: 1,
    batchSize: 128,
    contextSize: undefined,
    flashAttention: undefined,
    kvCacheType: undefined,
    gpuLayers: undefined,
  });
  assert.deepEqual(
    cells.map((c) => `${c.model}:${c.threads}:${c.batchSize}`),
    ["a.gguf:1:128", "a.gguf:1:512", "a.gguf:2:128", "a.gguf:2:512", "b.gguf:1:128", "b.gguf:1:512", "b.gguf:2:128", "b.gguf:2:512"],
  );
});

test("absent axes mean one default cell; duplicates collapse", () => {
  assert.equal(expandMatrix({ models: ["m.gguf"] }).length, 1);
  assert.equal(expandMatrix({ models: ["m.gguf", "m.gguf"], threads: [2, 2] }).length, 1);
  assert.throws(() => expandMatrix({ models: [] }), RangeError);
});

test("GPU layers only multiply GPU cells", () => {
  const cells = expandMatrix({ models: ["m.gguf"], devices: ["cpu", "gpu"], gpuLayers: ["max", 10, 20] });
  assert.equal(cells.filter((c) => c.device === "cpu").length, 1);
  assert.deepEqual(
    cells.filter((c) => c.device === "gpu").map((c) => c.gpuLayers),
    ["max", 10, 20],
  );
});

test("labels name what varies", () => {
  const cells = expandMatrix({ models: ["/x/m.gguf"], threads: [1, 2], flashAttention: [true, false] });
  assert.deepEqual(
    cells.map((c) => cellLabel(c, cells)),
    ["t1 fa", "t1 no-fa", "t2 fa", "t2 no-fa"],
  );
  assert.equal(cellLabel(cells[0]), "m.gguf cpu t1 fa");
});

test("list options split on commas and repeat", () => {
  assert.deepEqual(splitList(["1,2", " 4 ", ""]), ["1", "2", "4"]);
  assert.deepEqual(splitList(undefined), []);
});

test("quant variants multiply store names only", () => {
  assert.deepEqual(withQuants(["org/m", "./x.gguf", "org/n:Q8_0"], ["Q8_0", "Q4_K_M"]), [
    "org/m:Q8_0",
    "org/m:Q4_K_M",
    "./x.gguf",
    "org/n:Q8_0",
  ]);
  assert.deepEqual(withQuants(["org/m"], []), ["org/m"]);
});
