// The LLM SDK on the random-weight fixtures through node-llama-cpp: greedy output (also against
// llama.cpp's own llama-simple), streaming, sampling limits, constraints, tool calls, abort,
// context overflow, parallel sequences, KV-cache files and typed load errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { LLM } from "../../src/sdk/LLM.ts";
import { HearthError } from "../../src/errors/HearthError.ts";
import { ensureFixture } from "../../fixtures/index.ts";
import { NO_END_BIAS } from "../../fixtures/vocab.ts";

const NO_END_BIAS_IDS = Object.keys(NO_END_BIAS).map(Number);
import { ensureVlmFixture } from "../../fixtures/mmproj.ts";
import { repoRoot } from "../helpers/cli.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-llm-"));
process.env.HEARTH_HOME = home;
const llamaSimple = path.join(repoRoot, ".cache/llama.cpp/build/bin/llama-simple");

let tiny: string;
let llm: LLM;
before(async () => {
  tiny = await ensureFixture("tiny");
  llm = await LLM.load(tiny, { threads: 1, contextSize: 256, parallel: 2 });
});
after(async () => {
  await llm?.dispose();
  rmSync(home, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HearthError, `expected a HearthError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test("load reports the engine, context and memory", () => {
  assert.equal(llm.info.backend, "llama");
  assert.equal(llm.info.device, "cpu");
  assert.equal(llm.info.ref, tiny);
  assert.deepEqual(llm.info.tasks, ["chat", "complete"]);
  assert.ok((llm.info.memoryBytes ?? 0) > 100_000, `memoryBytes ${llm.info.memoryBytes}`);
  assert.equal(llm.info.settings.threads, 1);
  assert.equal(llm.info.settings.parallel, 2);
});

test("greedy completion is deterministic and the stream adds up to the result", async () => {
  // the end tokens forbidden: whichever token the random model picks, it runs to maxTokens
  const a = llm.complete("Hello world", { temperature: 0, maxTokens: 16, logitBias: NO_END_BIAS });
  let streamed = "";
  for await (const c of a) if (c.type === "text") streamed += c.text;
  const ra = await a.result;
  const rb = await llm.complete("Hello world", { temperature: 0, maxTokens: 16, logitBias: NO_END_BIAS }).result;
  assert.equal(streamed, ra.text);
  assert.equal(ra.text, rb.text);
  assert.ok(ra.text.length > 0);
  assert.equal(ra.usage.completionTokens, 16);
  assert.equal(ra.finishReason, "length");
  assert.equal(ra.profile.generatedTokens, 16);
  assert.equal(ra.profile.device, "llama/cpu");
  assert.ok((ra.profile.ttftMs ?? -1) >= 0 && (ra.profile.decodeTokensPerSec ?? 0) > 0 && (ra.profile.promptTokens ?? 0) >= 3);
});

test("greedy output matches llama.cpp's llama-simple for the same prompt", {
  skip: existsSync(llamaSimple) ? false : `llama-simple is not built (${llamaSimple}); run scripts/build-llama-bench.sh`,
}, async () => {
  for (const prompt of ["Hello world", "The quick brown fox"]) {
    const n = 24;
    const { stdout } = await promisify(execFile)(llamaSimple, ["-m", tiny, "-n", String(n), prompt], {
      encoding: "buffer",
      maxBuffer: 1 << 20,
    });
    // llama-simple prints the pieces of the prompt (BOS first) and of each generated token, then a newline;
    // random weights make byte tokens, so both sides are compared as UTF-8 text
    const out = (stdout as Buffer).toString("utf8");
    const echoed = `<s> ${prompt}`;
    assert.ok(out.startsWith(echoed), `llama-simple output does not echo the prompt: ${JSON.stringify(out)}`);
    const theirs = out.slice(echoed.length).replace(/\n$/, "");
    const ours = (await llm.complete(prompt, { temperature: 0, maxTokens: n }).result).text;
    assert.equal(ours, theirs, `prompt ${JSON.stringify(prompt)}`);
  }
});

test("chat uses the model's template and streams text", async () => {
  const s = llm.chat(
    [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi there" },
    ],
    { temperature: 0, maxTokens: 8 },
  );
  const chunks: string[] = [];
  for await (const c of s) if (c.type === "text") chunks.push(c.text);
  const r = await s.result;
  assert.equal(chunks.join(""), r.text);
  assert.ok(r.usage.promptTokens > 8, "the template wraps the messages");
  assert.ok(r.usage.completionTokens <= 8);
});

test("stop strings end the text before them", async () => {
  const full = (await llm.complete("The quick brown fox", { temperature: 0, maxTokens: 24 }).result).text;
  const stop = full.slice(6, 9);
  assert.ok(stop.trim().length > 0, `greedy text too short: ${JSON.stringify(full)}`);
  const r = await llm.complete("The quick brown fox", { temperature: 0, maxTokens: 24, stop: [stop] }).result;
  assert.equal(r.finishReason, "stop");
  assert.ok(!r.text.includes(stop), `${JSON.stringify(r.text)} contains the stop string ${JSON.stringify(stop)}`);
  assert.ok(full.startsWith(r.text));
});

test("logit bias forbids or forces tokens", async () => {
  const plain = await llm.complete("Hello world", { temperature: 0, maxTokens: 4 }).result;
  const [a, b] = (await llm.tokenize("zq")).slice(-2);
  const forced = await llm.complete("Hello world", { temperature: 0, maxTokens: 4, logitBias: { [a]: 100 } }).result;
  const forcedB = await llm.complete("Hello world", { temperature: 0, maxTokens: 4, logitBias: { [b]: 100 } }).result;
  // a token pushed up by 100 wins every step: the text is one piece four times
  assert.equal(forced.text, forced.text.slice(0, forced.text.length / 4).repeat(4));
  assert.notEqual(forced.text, forcedB.text);
  assert.notEqual(forced.text, plain.text);
  const forbidden = await llm.complete("Hello world", { temperature: 0, maxTokens: 4, logitBias: { [a]: 100, [b]: -Infinity } }).result;
  assert.equal(forbidden.text, forced.text, "a forbidden token does not disturb a forced one");
  const none = await llm.complete("Hello world", { temperature: 0, maxTokens: 4, logitBias: { [a]: -Infinity, [b]: 100 } }).result;
  assert.equal(none.text, forcedB.text);
});

test("ignoreEos generates to maxTokens past every end token, even one a bias forces", async () => {
  // the end tokens pushed up by 100 end the answer at once, unless they are forbidden
  const end = Object.fromEntries(NO_END_BIAS_IDS.map((id) => [id, 100]));
  const ended = await llm.complete("Hello world", { temperature: 0, maxTokens: 8, logitBias: end }).result;
  assert.equal(ended.finishReason, "stop");
  assert.equal(ended.text, "");
  const full = await llm.complete("Hello world", { temperature: 0, maxTokens: 8, logitBias: end, ignoreEos: true }).result;
  assert.equal(full.finishReason, "length");
  assert.equal(full.usage.completionTokens, 8);
  assert.ok(full.text.length > 0);
});

test("sampling with a seed is reproducible", async () => {
  const o = { temperature: 1, topK: 40, topP: 0.95, minP: 0.05, seed: 7, maxTokens: 12 };
  const a = (await llm.complete("Once upon", o).result).text;
  const b = (await llm.complete("Once upon", o).result).text;
  assert.equal(a, b);
});

test("a GBNF grammar is obeyed", async () => {
  const grammar = 'root ::= ("yes" | "no") " " [0-9] [0-9]';
  const r = await llm.complete("Answer:", { temperature: 0, maxTokens: 20, constraint: { type: "grammar", grammar } }).result;
  assert.match(r.text, /^(yes|no) [0-9]{2}$/);
});

test("a JSON schema is obeyed", async () => {
  const schema = {
    type: "object",
    properties: {
      ok: { type: "boolean" },
      color: { enum: ["red", "green", "blue"] },
      tags: { type: "array", items: { enum: ["a", "b"] }, maxItems: 2 },
    },
  };
  const r = await llm.chat([{ role: "user", content: "Give JSON" }], {
    temperature: 0,
    maxTokens: 80,
    constraint: { type: "json_schema", schema },
  }).result;
  const v = JSON.parse(r.text);
  assert.equal(typeof v.ok, "boolean");
  assert.ok(["red", "green", "blue"].includes(v.color));
  assert.ok(Array.isArray(v.tags) && v.tags.length <= 2 && v.tags.every((t: string) => t === "a" || t === "b"));
});

test("a bad grammar is a bad_input error", async () => {
  await rejectsWith(llm.complete("x", { constraint: { type: "grammar", grammar: "root ::= (" } }).result, "bad_input");
});

test("abort stops generation within one token", async () => {
  // the native loop decodes the tiny model's 200 tokens in milliseconds: on a loaded machine all of
  // them (and the end) can arrive before the first is read, and the abort comes too late to count;
  // such a run is tried again
  for (let attempt = 0; ; attempt++) {
    const ctl = new AbortController();
    const s = llm.complete("Hello world", { temperature: 0, maxTokens: 200, logitBias: NO_END_BIAS, signal: ctl.signal });
    let after = 0;
    let ended = false;
    const run = (async () => {
      for await (const c of s) {
        if (c.type !== "text") continue;
        if (ctl.signal.aborted) after++;
        else ctl.abort();
      }
      ended = true;
    })();
    await run.catch(() => undefined);
    if (ended && attempt < 2) continue;
    await assert.rejects(run, (e: unknown) => e instanceof HearthError && e.code === "aborted");
    assert.ok(after <= 1, `${after} tokens arrived after the abort`);
    await rejectsWith(s.result, "aborted");
    break;
  }
  // the sequence is free again
  // with the end tokens forbidden any sample runs to its limit (a token count can differ: byte tokens are streamed in whole characters)
  assert.equal((await llm.complete("Hi", { temperature: 0, maxTokens: 2, logitBias: NO_END_BIAS }).result).finishReason, "length");
});

test("an already aborted signal rejects at once", async () => {
  await rejectsWith(llm.complete("Hi", { signal: AbortSignal.abort() }).result, "aborted");
});

test("a prompt longer than the context is context_exceeded", async () => {
  const long = "word ".repeat(400);
  await rejectsWith(llm.complete(long, { maxTokens: 4 }).result, "context_exceeded");
  await rejectsWith(llm.chat([{ role: "user", content: long }], { maxTokens: 4 }).result, "context_exceeded");
});

test("generation that reaches the end of the context stops with length", async () => {
  const r = await llm.complete("word ".repeat(40), { temperature: 0 }).result;
  assert.equal(r.finishReason, "length");
  assert.ok(r.usage.promptTokens + r.usage.completionTokens <= (llm.info.contextSize ?? 0));
});

test("two sequences generate at once and each gets its own text", async () => {
  const prompts = ["Hello world", "The quick brown fox"];
  const opts = { temperature: 0, maxTokens: 12, logitBias: NO_END_BIAS };
  // the tiny model decodes a token in tens of microseconds: one stream can end before the other has
  // joined, so that the streams overlap is checked on the bench model, where a token takes tens of ms
  const bench = await LLM.load(await ensureFixture("bench"), { threads: 1, contextSize: 256, parallel: 2 });
  try {
    for (const model of [llm, bench]) {
      const solo = [];
      for (const p of prompts) solo.push((await model.complete(p, opts).result).text);
      assert.notEqual(solo[0], solo[1]);
      const streams = prompts.map((p) => model.complete(p, opts));
      const texts = await Promise.all(
        streams.map(async (s) => {
          let t = "";
          for await (const c of s) if (c.type === "text") t += c.text;
          return t;
        }),
      );
      assert.deepEqual(texts, solo);
      if (model === llm) continue;
      // decoded together: each stream's first token came before the other's last (by the profile's
      // times, which are when tokens were sampled; a fast loop may hand a stream's tokens over at once)
      const spans = await Promise.all(
        streams.map(async (s) => {
          const { profile } = await s.result;
          const first = profile.ttftMs ?? 0;
          const decodeMs = (((profile.generatedTokens ?? 1) - 1) * 1000) / (profile.decodeTokensPerSec ?? Infinity);
          return { first, last: first + decodeMs };
        }),
      );
      assert.ok(spans[1].first < spans[0].last && spans[0].first < spans[1].last, JSON.stringify(spans));
    }
  } finally {
    await bench.dispose();
  }
});

test("requests beyond the parallel sequences wait their turn", async () => {
  const prompts = [1, 2, 3, 4].map((n) => `Count ${n}`);
  const solo = [];
  const opts = { temperature: 0, maxTokens: 6, logitBias: NO_END_BIAS };
  for (const p of prompts) solo.push((await llm.complete(p, opts).result).text);
  const rs = await Promise.all(prompts.map((p) => llm.complete(p, opts).result));
  assert.deepEqual(
    rs.map((r) => r.text),
    solo,
  );
  for (const r of rs) assert.ok(r.usage.completionTokens <= 6 && r.usage.completionTokens > 0);
});

test("bad sampling values are bad_input", async () => {
  await rejectsWith(llm.complete("x", { temperature: -1 }).result, "bad_input");
  await rejectsWith(llm.complete("x", { maxTokens: 0 }).result, "bad_input");
  await rejectsWith(llm.chat([], {}).result, "bad_input");
});

test("the KV cache is saved to a file and loaded into another instance", async () => {
  const file = path.join(home, "state.bin");
  const messages = [{ role: "user" as const, content: "Remember this conversation" }];
  const r1 = await llm.chat(messages, { temperature: 0, maxTokens: 6 }).result;
  const saved = await llm.saveState(file);
  assert.ok(saved.bytes > 0 && statSync(file).size === saved.bytes);
  const other = await LLM.load(tiny, { threads: 1, contextSize: 256, parallel: 2 });
  try {
    await other.loadState(file);
    const r2 = await other.chat(messages, { temperature: 0, maxTokens: 6 }).result;
    assert.equal(r2.text, r1.text);
    writeFileSync(path.join(home, "junk.bin"), "not a state");
    await assert.rejects(other.loadState(path.join(home, "junk.bin")), (e: unknown) => e instanceof HearthError);
  } finally {
    await other.dispose();
  }
});

test("a context larger than memory allows is insufficient_memory", async () => {
  await rejectsWith(LLM.load(tiny, { threads: 1, contextSize: 400_000_000 }), "insufficient_memory");
});

test("load errors are typed: missing file, not GGUF, a projector as the model", async () => {
  await rejectsWith(LLM.load(path.join(home, "nope.gguf")), "model_not_found");
  const junk = path.join(home, "junk.gguf");
  writeFileSync(junk, "this is not a gguf file at all, just text".repeat(10));
  await rejectsWith(LLM.load(junk), "unsupported_architecture");
  const { mmproj } = await ensureVlmFixture();
  await rejectsWith(LLM.load(mmproj), "unsupported_architecture");
});

test("isolated in a runner process: generation, the tokenizer and state files cross the boundary", async () => {
  const iso = await LLM.load(tiny, { threads: 1, contextSize: 256, isolate: true });
  try {
    assert.equal(iso.info.backend, "llama");
    const local = (await llm.complete("Hello world", { temperature: 0, maxTokens: 8 }).result).text;
    assert.equal((await iso.complete("Hello world", { temperature: 0, maxTokens: 8 }).result).text, local);
    assert.deepEqual(await iso.tokenize("Hello"), await llm.tokenize("Hello"));
    const file = path.join(home, "iso-state.bin");
    const { bytes } = await iso.saveState(file);
    assert.equal(statSync(file).size, bytes);
    await iso.loadState(file);
  } finally {
    await iso.dispose();
  }
});
