// A text model on the second llama.cpp engine (llama-mm, @fugood/llama.node, whose token loop is
// native): named with backend "llama-mm", or chosen by hearth itself where profiles measured it
// faster on this machine. Real engines both: the text is random, the engine names and errors are not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { NO_END_BIAS } from "../../fixtures/vocab.ts";
import { LLM } from "../../src/sdk/LLM.ts";
import { HearthError } from "../../src/errors/HearthError.ts";
import { writeCpuProfile } from "../helpers/profiles.ts";
import { loadModel } from "../../src/runtime/load.ts";

// llama.node cannot forbid the end tokens (its descriptor's noTokenBias): the random model may end early
const greedy = { temperature: 0, maxTokens: 16 };
const home = mkdtempSync(path.join(os.tmpdir(), "hearth-engine-choice-"));
process.env.HEARTH_HOME = home;

test("named: llama-mm runs a text model, streams, reports its decode speed; what it cannot do is refused clearly", async () => {
  const llm = await LLM.load(await ensureFixture("tools"), { backend: "llama-mm", threads: 1, contextSize: 1024 });
  try {
    assert.equal(llm.info.backend, "llama-mm");
    assert.equal(llm.info.settings.isolated, true, "llama-mm runs in a runner process unless asked otherwise");
    const s = llm.complete("Once upon a time", greedy);
    let streamed = "";
    for await (const c of s) if (c.type === "text") streamed += c.text;
    const r = await s.result;
    assert.equal(streamed, r.text);
    assert.ok(r.usage.completionTokens > 0);
    assert.ok((r.profile.decodeTokensPerSec ?? 0) > 0);
    // greedy is greedy: the same request, the same answer (llama.node's default XTC broke this)
    for (let i = 0; i < 3; i++) assert.equal((await llm.complete("Once upon a time", greedy).result).text, r.text);
    // a grammar that cannot end within 16 tokens (at most four letters each): the answer stops on
    // the limit, and says so with the count asked for
    const capped = await llm.complete("Once", { ...greedy, constraint: { type: "grammar", grammar: "root ::= [a-z]{200}" } }).result;
    assert.equal(capped.finishReason, "length");
    assert.equal(capped.usage.completionTokens, 16);
    assert.match(capped.text, /^[a-z]+$/);
    // a bias or ban it would drop is refused, not ignored
    for (const s of [{ logitBias: NO_END_BIAS }, { ignoreEos: true }]) {
      await assert.rejects(
        llm.complete("Once", { ...greedy, ...s }).result,
        (e: unknown) => e instanceof HearthError && e.code === "unsupported_task" && /backend "llama"/.test(e.hint ?? ""),
      );
    }
    // a <think> block (forced by a grammar) streams and ends as reasoning, apart from the answer,
    // as on the llama engine
    const thinking = llm.chat([{ role: "user", content: "hi" }], {
      ...greedy,
      maxTokens: 40,
      constraint: { type: "grammar", grammar: 'root ::= "<think>" [a-z ]{3,12} "</think>" [a-z]{3,12}' },
    });
    const parts = { text: "", reasoning: "" };
    for await (const c of thinking) if (c.type === "text" || c.type === "reasoning") parts[c.type] += c.text;
    const thought = await thinking.result;
    assert.match(thought.reasoning ?? "", /^[a-z ]{3,12}$/);
    assert.match(thought.text, /^[a-z]{3,12}$/);
    assert.deepEqual(parts, { text: thought.text, reasoning: thought.reasoning });
    const chat = await llm.chat([{ role: "user", content: "hi" }], greedy).result;
    assert.ok(chat.usage.promptTokens > 1, "the chat template wrapped the message");
    // tools stay with the llama engine (llama.node crashed on them), and the refusal says so
    const tools = [{ name: "get_time", description: "Current time", parameters: { type: "object", properties: {} } }];
    await assert.rejects(
      llm.chat([{ role: "user", content: "time?" }], { ...greedy, tools }).result,
      (e: unknown) => e instanceof HearthError && e.code === "unsupported_task" && /backend "llama"/.test(e.hint ?? ""),
    );
    assert.ok((await llm.complete("again", greedy).result).usage.completionTokens > 0, "the model still answers");
    await assert.rejects(llm.tokenize("hello"), (e: unknown) => e instanceof HearthError && e.code === "unsupported_task");
  } finally {
    await llm.dispose();
  }
});

test("measured: with profiles for both engines the faster one runs the model", async () => {
  const model = await ensureFixture("tiny");
  const profile = (backend: string, decodeTokensPerSec: number) =>
    writeCpuProfile(home, model, { backend, settings: { threads: 1 }, decodeTokensPerSec });
  // each engine in a runner process of its own, as the server runs them: two llama.cpp bindings in
  // one process crashed it now and then under load (each carries its own ggml)
  const unmeasured = await LLM.load(model, { contextSize: 256, isolate: true });
  assert.equal(unmeasured.info.backend, "llama", "without profiles the text engine runs text models");
  await unmeasured.dispose();

  profile("llama", 3000);
  profile("llama-mm", 9000);
  const fast = await LLM.load(model, { contextSize: 256, isolate: true });
  try {
    assert.equal(fast.info.backend, "llama-mm");
    assert.ok((await fast.complete("Hello", greedy).result).usage.completionTokens > 0);
  } finally {
    await fast.dispose();
  }
});

test("measured onto llama-mm: a request it cannot run (tools, tokenize, a logit bias) runs on the llama engine instead", async () => {
  const model = await ensureFixture("tools");
  writeCpuProfile(home, model, { backend: "llama", settings: { threads: 1 }, decodeTokensPerSec: 3000 });
  writeCpuProfile(home, model, { backend: "llama-mm", settings: { threads: 1 }, decodeTokensPerSec: 9000 });
  const llm = await LLM.load(model, { contextSize: 2048, threads: 1, isolate: true });
  try {
    assert.equal(llm.info.backend, "llama-mm");
    const plain = await llm.complete("Once upon a time", greedy).result;
    assert.match(plain.profile.device ?? "", /^llama-mm\//, "what llama-mm can run stays on it");
    const tools = [
      { name: "get_time", description: "Current time", parameters: { type: "object", properties: { zone: { enum: ["utc", "local"] } } } },
    ];
    const call = await llm.chat([{ role: "user", content: "time?" }], {
      temperature: 0,
      maxTokens: 120,
      tools,
      toolChoice: "required",
      parallelToolCalls: false,
    }).result;
    assert.equal(call.finishReason, "tool_calls");
    assert.equal(call.toolCalls?.[0]?.name, "get_time");
    assert.match(call.profile.device ?? "", /^llama\//);
    // so does a logit bias or an ignoreEos, which llama.node would drop
    const banned = await llm.complete("Once upon a time", { ...greedy, ignoreEos: true }).result;
    assert.match(banned.profile.device ?? "", /^llama\//);
    assert.equal(banned.usage.completionTokens, 16);
    const tokens = await llm.tokenize("hello world");
    assert.ok(tokens.length > 0 && tokens.every((t) => Number.isInteger(t)));
    assert.match((await llm.complete("again", greedy).result).profile.device ?? "", /^llama-mm\//);
    // the KV cache belongs to the engine that ran the conversation: no move, the refusal stands
    await assert.rejects(
      llm.saveState(path.join(home, "state.bin")),
      (e: unknown) => e instanceof HearthError && e.code === "unsupported_task",
    );
  } finally {
    await llm.dispose();
  }
});

test("the engine loaded beside it counts in the model's memory (what the server's budget reads)", async () => {
  const model = await ensureFixture("tools");
  // the profiles of the test above put llama-mm first and llama second in the plan
  const m = await loadModel(
    { dir: path.dirname(model), primary: model, format: "gguf", type: "llm" },
    { contextSize: 2048, threads: 1, isolate: true },
  );
  try {
    assert.equal(m.info.backend, "llama-mm");
    const alone = m.info.memoryBytes ?? 0;
    assert.ok(alone > 0);
    for await (const _ of m.run({ task: "tokenize", text: "hello" })) {
      /* runs on the llama engine */
    }
    assert.equal(m.info.backend, "llama-mm", "the model still runs on llama-mm");
    assert.ok((m.info.memoryBytes ?? 0) > alone, `memory ${m.info.memoryBytes} after the helper loaded, ${alone} before`);
  } finally {
    await m.dispose();
  }
});
