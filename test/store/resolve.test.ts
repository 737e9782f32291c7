// resolveModel: store names (pulled on demand from the mock hub), aliases, embedded names and paths
// become the right ModelFiles, and llama.cpp loads the files a store name resolves to.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getLlama } from "node-llama-cpp";
import { fixtureRepos, startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { resolveModel } from "../../src/resolve/resolveModel.ts";
import { listModels } from "../../src/store/list.ts";
import { isHearthError } from "../../src/errors/HearthError.ts";
import { ensureFixture } from "../../fixtures/index.ts";
import type { PullEvent } from "../../src/store/pull.ts";

let hub: MockHub;
let home: string;
const saved = process.env.HF_ENDPOINT;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

before(async () => {
  hub = await startMockHub(await fixtureRepos());
  process.env.HF_ENDPOINT = hub.url;
  home = mkdtempSync(path.join(os.tmpdir(), "hearth-resolve-"));
});
after(async () => {
  await hub.close();
  if (saved === undefined) delete process.env.HF_ENDPOINT;
  else process.env.HF_ENDPOINT = saved;
  rmSync(home, { recursive: true, force: true });
});

test("a store name not installed: pull: false says so; by default it is pulled, with progress", async () => {
  await assert.rejects(
    resolveModel("hearth-test/split-GGUF:Q8_0", { home, pull: false }),
    (e) => isHearthError(e) && e.code === "model_not_found" && /hearth pull/.test(e.line),
  );
  const events: PullEvent["type"][] = [];
  const files = await resolveModel("hearth-test/split-GGUF:q8_0", { home, onProgress: (e) => events.push(e.type) });
  assert.ok(events.includes("resolved") && events.includes("progress"));
  assert.match(files.primary, /Q8_0\/tiny-Q8_0-00001-of-00002\.gguf$/);
  assert.equal(files.shards?.length, 1);
  assert.match(files.shards![0], /-00002-of-00002\.gguf$/);
  assert.equal(files.format, "gguf");
  assert.equal(files.type, "llm");
  assert.equal(files.sha256, sha(readFileSync(files.primary)));
  assert.deepEqual(
    listModels(home)
      .filter((m) => !m.embedded)
      .map((m) => m.name),
    ["hearth-test/split-GGUF"],
  );
  // installed now: resolving again fetches nothing
  hub.reset();
  const again = await resolveModel("hearth-test/split-GGUF", { home, pull: false });
  assert.equal(again.primary, files.primary);
  assert.equal(hub.requests.length, 0);
});

test("llama.cpp loads and runs the split model a store name resolves to", async () => {
  const files = await resolveModel("hearth-test/split-GGUF", { home, pull: false });
  const llama = await getLlama({ gpu: false, build: "never" });
  const model = await llama.loadModel({ modelPath: files.primary });
  try {
    assert.equal(model.trainContextSize, 2048);
    const ctx = await model.createContext({ contextSize: 128, threads: 1 });
    const seq = ctx.getSequence();
    let n = 0;
    for await (const token of seq.evaluate(model.tokenize("hello"))) {
      assert.equal(typeof token, "number");
      if (++n >= 2) break;
    }
    assert.equal(n, 2);
    await ctx.dispose();
  } finally {
    await model.dispose();
  }
});

test("vision repos resolve with their mmproj; ONNX repos with tokenizer and config as extras; the caller's type wins", async () => {
  const vlm = await resolveModel("hearth-test/vlm-GGUF", { home });
  assert.equal(vlm.type, "vlm");
  assert.match(vlm.mmproj ?? "", /mmproj-tiny-F16\.gguf$/);
  const onnx = await resolveModel("hearth-test/onnx-cls", { home });
  assert.equal(onnx.format, "onnx");
  assert.equal(onnx.type, "cv");
  assert.match(onnx.primary, /onnx\/model\.onnx$/);
  assert.ok(existsSync(onnx.extra!["tokenizer.json"]) && existsSync(onnx.extra!["config.json"]));
  assert.equal((await resolveModel("hearth-test/vlm-GGUF", { home, type: "llm" })).type, "llm");
});

test("embedded names, aliases and paths", async () => {
  const ocr = await resolveModel("ocr", { home });
  assert.equal(ocr.type, "cv");
  assert.ok(existsSync(ocr.primary));
  await assert.rejects(resolveModel("qwen3", { home, pull: false }), (e) => isHearthError(e) && /Qwen\/Qwen3-0\.6B-GGUF/.test(e.message));
  const embed = await resolveModel(await ensureFixture("embed"));
  assert.equal(embed.type, "embedder", "type from the GGUF header");
  assert.equal((await resolveModel(await ensureFixture("tiny"))).type, "llm");
  await assert.rejects(resolveModel("./no/such/model.gguf"), (e) => isHearthError(e) && e.code === "model_not_found");
  await assert.rejects(resolveModel("bad/../name", { home }), (e) => isHearthError(e) && e.code === "bad_input");
});

test("a bare unknown word is model_not_found (an OpenAI client's model name), a malformed org/repo is bad_input", async () => {
  await assert.rejects(
    resolveModel("gpt-4", { home }),
    (e) => isHearthError(e) && e.code === "model_not_found" && /not an alias/.test(e.message),
  );
  await assert.rejects(resolveModel("a/b/c", { home }), (e) => isHearthError(e) && e.code === "bad_input");
});

test("model folders: a sherpa TTS or diarization folder, a folder with one model file, and folders that hold none or several", async () => {
  const { ensureTtsFixture, ensureDiarizeFixture } = await import("../../fixtures/speechOnnx.ts");
  const { mkdirSync, copyFileSync, writeFileSync } = await import("node:fs");
  const tts = await resolveModel(ensureTtsFixture());
  assert.deepEqual([tts.type, tts.format, path.basename(tts.primary)], ["tts", "onnx", "model.onnx"]);
  assert.equal((await resolveModel(path.join(ensureTtsFixture(), "model.onnx"))).type, "tts", "a TTS .onnx file alone is TTS, not CV");
  const d = ensureDiarizeFixture();
  const diarize = await resolveModel(d.dir);
  assert.deepEqual([diarize.type, diarize.primary, diarize.extra?.embedding], ["diarize", d.segmentation, d.embedding]);
  const one = path.join(home, "one-gguf");
  mkdirSync(one, { recursive: true });
  copyFileSync(await ensureFixture("embed"), path.join(one, "model.gguf"));
  writeFileSync(path.join(one, "README.md"), "a model\n");
  const embed = await resolveModel(one);
  assert.deepEqual([embed.type, embed.primary], ["embedder", path.join(one, "model.gguf")]);
  const empty = path.join(home, "empty-folder");
  mkdirSync(empty, { recursive: true });
  await assert.rejects(
    resolveModel(empty),
    (e) => isHearthError(e) && e.code === "model_not_found" && /no model file in the folder/.test(e.message),
  );
  copyFileSync(await ensureFixture("tiny"), path.join(one, "other.gguf"));
  await assert.rejects(resolveModel(one), (e) => isHearthError(e) && e.code === "bad_input" && /holds 2 models/.test(e.message));
});
