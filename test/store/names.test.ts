// Model names, aliases, repo layouts and the quant choice: the parts of pull that need no network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseModelRef, safeRepoPath } from "../../src/store/names.ts";
import { expandAlias, findAlias } from "../../src/store/aliases.ts";
import { classifyRepo, primaryOf } from "../../src/store/layout.ts";
import { chooseQuant, checkFitsMemory } from "../../src/store/quantChoice.ts";
import { isHearthError } from "../../src/errors/HearthError.ts";

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isHearthError(e) ? e.code : "not a HearthError";
  }
  return "no error";
};

test("org/repo[:QUANT] parses; the quant is case-insensitive", () => {
  assert.deepEqual(parseModelRef("Qwen/Qwen3-0.6B-GGUF:q4_k_m"), {
    repo: "Qwen/Qwen3-0.6B-GGUF",
    org: "Qwen",
    name: "Qwen3-0.6B-GGUF",
    quant: "Q4_K_M",
  });
  assert.equal(parseModelRef("a/b").quant, undefined);
});

test("names that could escape the store or are malformed are refused as bad_input", () => {
  for (const bad of [
    "../etc/passwd",
    "org/..",
    "org/../x",
    "/abs/path",
    "~/x",
    "a\\b",
    "noslash",
    "a/b/c",
    "a/b:",
    "a/b:Q4 K",
    "",
    "org/re po",
    ".hidden/x",
  ]) {
    assert.equal(
      code(() => parseModelRef(bad)),
      "bad_input",
      bad,
    );
  }
  assert.match(
    String(
      (() => {
        try {
          parseModelRef("a/..");
        } catch (e) {
          return (e as Error).message;
        }
      })(),
    ),
    /"\.\." is not allowed/,
  );
});

test("hub file paths that climb out of the model folder are refused", () => {
  assert.equal(safeRepoPath("Q8_0/model-00001-of-00002.gguf"), "Q8_0/model-00001-of-00002.gguf");
  for (const bad of ["../x.gguf", "a/../../x", "/etc/passwd"])
    assert.equal(
      code(() => safeRepoPath(bad)),
      "download_failed",
      bad,
    );
});

test("aliases expand to real repos and keep a quant", () => {
  assert.equal(expandAlias("qwen3"), "Qwen/Qwen3-0.6B-GGUF");
  assert.equal(expandAlias("QWEN3:q8_0"), "Qwen/Qwen3-0.6B-GGUF:q8_0");
  assert.equal(expandAlias("org/repo"), "org/repo");
  for (const a of ["llama3.2", "gemma3", "smolvlm", "whisper"]) assert.ok(findAlias(a)?.repo.includes("/"), a);
});

const f = (path: string, size = 100) => ({ path, size, sha256: "0".repeat(64) });

test("GGUF repos: split files group into one quant in order, mmproj is apart, labels come from names", () => {
  const layout = classifyRepo([
    f(".gitattributes", 10),
    f("README.md", 10),
    f("Q8_0/m-Q8_0-00002-of-00002.gguf", 50),
    f("Q8_0/m-Q8_0-00001-of-00002.gguf", 60),
    f("m-Q4_K_M.gguf", 70),
    f("m-q4_0.gguf", 65),
    f("mmproj-m-bf16.gguf", 30),
    f("mmproj-m-f16.gguf", 30),
  ]);
  assert.equal(layout.format, "gguf");
  const q8 = layout.quants.find((q) => q.name === "Q8_0")!;
  assert.deepEqual(
    q8.files.map((x) => x.path),
    ["Q8_0/m-Q8_0-00001-of-00002.gguf", "Q8_0/m-Q8_0-00002-of-00002.gguf"],
  );
  assert.equal(q8.size, 110);
  assert.deepEqual(layout.quants.map((q) => q.name).sort(), ["Q4_0", "Q4_K_M", "Q8_0"]);
  assert.equal(layout.mmproj[0].path, "mmproj-m-f16.gguf", "f16 projector preferred");
  assert.deepEqual(layout.shared, []);
});

test("non-GGUF repos: every model file is fetched; the plain model.onnx is primary", () => {
  const layout = classifyRepo([
    f(".gitattributes"),
    f("README.md"),
    f("onnx/model.onnx"),
    f("onnx/model_quantized.onnx"),
    f("tokenizer.json"),
    f("config.json"),
  ]);
  assert.equal(layout.format, "onnx");
  assert.equal(layout.quants.length, 1);
  assert.deepEqual(layout.shared.map((x) => x.path).sort(), ["config.json", "tokenizer.json"]);
  assert.equal(
    primaryOf(
      "onnx",
      layout.quants[0].files.map((x) => x.path),
    ),
    "onnx/model.onnx",
  );
});

test("quant choice: named (any case), else Q4_K_M > Q4_0 > Q8_0, else the smallest that fits", () => {
  const q = (name: string, size: number) => ({ name, size, files: [f(`m-${name}.gguf`, size)] });
  const all = [q("Q2_K", 10), q("Q4_0", 40), q("Q4_K_M", 45), q("Q8_0", 80), q("F16", 160)];
  assert.equal(chooseQuant(all, "q8_0", "m/m").name, "Q8_0");
  assert.equal(chooseQuant(all, undefined, "m/m").name, "Q4_K_M");
  assert.equal(
    chooseQuant(
      all.filter((x) => x.name !== "Q4_K_M"),
      undefined,
      "m/m",
    ).name,
    "Q4_0",
  );
  assert.equal(chooseQuant([q("Q8_0", 80), q("F16", 160)], undefined, "m/m").name, "Q8_0");
  assert.equal(chooseQuant([q("Q6_K", 60), q("Q5_K_M", 55), q("F16", 160)], undefined, "m/m", 1000).name, "Q5_K_M");
  assert.equal(
    code(() => chooseQuant(all, "Q3_K_S", "m/m")),
    "quant_not_found",
  );
  assert.equal(
    code(() => chooseQuant([], undefined, "m/m")),
    "model_not_found",
  );
});

test("a quant larger than memory is refused with insufficient_memory", () => {
  const big = { name: "F16", size: 2e9, files: [] };
  assert.equal(
    code(() => checkFitsMemory(big, { layers: 24, embeddingLength: 1024, headCount: 16, headCountKv: 8 }, "m/m", 1e9)),
    "insufficient_memory",
  );
  assert.equal(
    code(() => checkFitsMemory(big, undefined, "m/m", 8e9)),
    "no error",
  );
  // a small model's need and a small machine read in MB, not "0.0 GB"
  assert.throws(
    () => checkFitsMemory({ name: "F16", size: 4e6, files: [] }, undefined, "m/small", 1e6),
    (e: unknown) => e instanceof Error && /needs about \d+\.\d MB .* this machine has 1\.0 MB/.test(e.message),
  );
});
