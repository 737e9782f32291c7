import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gguf } from "@huggingface/gguf";
import { ensureFixture, writeFixture } from "../fixtures/index.ts";

test("the tiny fixture is a GGUF file with llama metadata, a vocabulary and a chat template", async () => {
  const file = await ensureFixture("tiny");
  const { metadata, tensorInfos } = await gguf(file, { allowLocalFile: true });
  assert.equal(metadata["general.architecture"], "llama");
  assert.equal(metadata["llama.block_count"], 2);
  assert.equal(metadata["tokenizer.ggml.model"], "llama");
  assert.ok((metadata["tokenizer.ggml.tokens"] as string[]).includes("<0x41>"), "byte-fallback tokens present");
  assert.match(String(metadata["tokenizer.chat_template"]), /<\|im_start\|>/);
  assert.ok(tensorInfos.some((t) => t.name === "blk.1.ffn_down.weight"));
});

test("fixtures are deterministic: two writes are byte-identical", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-fx-"));
  const a = await writeFixture("rerank", path.join(dir, "a.gguf"));
  const b = await writeFixture("rerank", path.join(dir, "b.gguf"));
  assert.deepEqual(readFileSync(a), readFileSync(b));
});

test("the rerank fixture carries a classifier head and rank pooling", async () => {
  const { metadata: m, tensorInfos } = await gguf(await ensureFixture("rerank"), { allowLocalFile: true });
  const metadata = m as Record<string, unknown>;
  assert.equal(metadata["qwen3.pooling_type"], 4);
  assert.ok(tensorInfos.some((t) => t.name === "cls.output.weight"));
});

test("the rerank fixture scores documents differently (its head does not saturate)", async () => {
  const { Reranker } = await import("../src/sdk/Reranker.ts");
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-fx-rerank-"));
  process.env.HEARTH_HOME = home;
  const reranker = await Reranker.load(await ensureFixture("rerank"), { threads: 1, contextSize: 256 });
  try {
    const { scores } = await reranker.rank("what is a cat", ["a cat is an animal", "the stock market fell", "zzz"]);
    assert.equal(new Set(scores).size, 3, `scores: ${scores}`);
    for (const s of scores) assert.ok(s > 0 && s < 1, `score ${s} inside (0, 1)`);
  } finally {
    await reranker.dispose();
  }
});
