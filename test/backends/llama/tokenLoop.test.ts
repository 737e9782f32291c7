// The helper's native token loop (tokenLoop.ts, native/llama-threads/token-loop.cc): completions on a
// one-sequence CPU context decode and sample in C++. It must answer exactly as node-llama-cpp's own
// loop does (greedy and seeded), keep node-llama-cpp's record of the sequence true so that later
// requests on either path reuse and answer right, stop on abort and dispose, and refuse what it cannot
// take instead of guessing.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  type ChatHistoryItem,
  ChatMLChatWrapper,
  type ChatWrapper,
  DeepSeekChatWrapper,
  Gemma4ChatWrapper,
  getLlama,
  HarmonyChatWrapper,
  LlamaLogLevel,
  type LlamaModel,
  QwenChatWrapper,
  SeedChatWrapper,
  type Token,
} from "node-llama-cpp";
import { loopStops } from "../../../src/backends/llama/loopGeneration.ts";
import { loadBackend } from "../../../src/backends/registry.ts";
import { attachContextThreads, contextLoopOf } from "../../../src/backends/llama/contextThreads.ts";
import { TokenLoop } from "../../../src/backends/llama/tokenLoop.ts";
import { keptStart } from "../../../src/backends/llama/sequencePool.ts";
import type { LoadedModel } from "../../../src/backends/types.ts";
import type { ChatRequest, CompleteRequest, GenerationResult, OutputConstraint } from "../../../src/model/tasks/text.ts";
import { ensureFixture, PRESETS } from "../../../fixtures/index.ts";
import { buildVocab, NO_END_BIAS } from "../../../fixtures/vocab.ts";
import { HearthError } from "../../../src/errors/HearthError.ts";
import { withEnv } from "../../helpers/env.ts";

const linuxX64 = process.platform === "linux" && process.arch === "x64";
const skip = !linuxX64 && "the helper is built on x86-64 Linux";

/** Runs `fn` with HEARTH_LLAMA_TOKEN_LOOP=off: node-llama-cpp's own loop. */
const loopOff = <T>(fn: () => Promise<T>): Promise<T> => withEnv("HEARTH_LLAMA_TOKEN_LOOP", "off", fn);

/** Counts the generations the native loop ran (a spy on the real loop: it still runs). */
function countLoopRuns(): { count: () => number; restore: () => void } {
  const run = TokenLoop.prototype.run;
  let n = 0;
  TokenLoop.prototype.run = function (this: TokenLoop, ...args: Parameters<typeof run>) {
    n++;
    return run.apply(this, args);
  };
  return {
    count: () => n,
    restore: () => {
      TokenLoop.prototype.run = run;
    },
  };
}

async function complete(
  m: LoadedModel,
  prompt: string,
  sampling: CompleteRequest["sampling"],
  signal?: AbortSignal,
  onText?: () => void,
  constraint?: OutputConstraint,
) {
  let streamed = "";
  let result: GenerationResult | undefined;
  for await (const e of m.run({ task: "complete", prompt, sampling, constraint }, signal)) {
    if (e.type === "text") {
      streamed += e.text;
      onText?.();
    }
    if (e.type === "result") result = e.result as GenerationResult;
  }
  assert.ok(result, "a result");
  assert.equal(streamed, result.text, "the streamed text is the result's text");
  return result;
}

/** What node-llama-cpp holds for the sequence the model used last. */
const heldTokens = (m: LoadedModel): number[] =>
  (m as unknown as { engine: { pool: { lastUsed?: { contextTokens: number[] } } } }).engine.pool.lastUsed?.contextTokens ?? [];

/** The 349M bench fixture on a context of two sequences: steps long enough to see pieces of a prompt. */
async function loadBenchModel(options: { batchSize: number; threads: number }): Promise<LoadedModel> {
  const primary = await ensureFixture("bench");
  return (await loadBackend("llama")).load(
    { dir: path.dirname(primary), primary, format: "gguf", type: "llm" },
    { device: "cpu", contextSize: 2048, parallel: 2, extra: { llamaBuild: "prebuilt" }, ...options },
  );
}

async function loadTiny(extra: Record<string, unknown> = {}): Promise<LoadedModel> {
  const backend = await loadBackend("llama");
  const primary = await ensureFixture("tiny");
  return backend.load(
    { dir: path.dirname(primary), primary, format: "gguf", type: "llm" },
    { device: "cpu", contextSize: 256, extra: { llamaBuild: "prebuilt" }, ...extra },
  );
}

const CASES: Array<[string, CompleteRequest["sampling"]]> = [
  ["Once upon a time", { temperature: 0, maxTokens: 40 }],
  ["The quick brown fox", { temperature: 0.8, seed: 7, maxTokens: 40 }],
  ["The quick brown fox", { temperature: 1.2, seed: 11, topK: 5, topP: 0.9, minP: 0.05, maxTokens: 33 }],
  ["Hello", { temperature: 0, maxTokens: 1 }],
  ["Hello", { temperature: 0, maxTokens: 20, logitBias: { 5: 4, 6: -100 } }],
];

test("completions take the native token loop and answer exactly as node-llama-cpp's loop, greedy and seeded", { skip }, async () => {
  const m = await loadTiny();
  const spy = countLoopRuns();
  try {
    assert.equal(m.info.settings.tokenLoop, "native", JSON.stringify(m.info.settings));
    for (const [prompt, sampling] of CASES) {
      const before = spy.count();
      const expected = await loopOff(() => complete(m, prompt, sampling));
      assert.equal(spy.count(), before, "HEARTH_LLAMA_TOKEN_LOOP=off takes node-llama-cpp's loop");
      const got = await complete(m, prompt, sampling);
      assert.equal(spy.count(), before + 1, "the request took the native loop");
      if (expected.usage.completionTokens > (sampling?.maxTokens ?? Infinity)) {
        // node-llama-cpp's loop goes one token past the limit when the last one ends partway through
        // a character (it waits for the rest); the native loop keeps to the limit
        assert.ok(expected.text.startsWith(got.text), `${prompt} ${JSON.stringify(sampling)}: ${got.text} / ${expected.text}`);
      } else {
        assert.equal(got.text, expected.text, `${prompt} ${JSON.stringify(sampling)}`);
      }
      assert.equal(got.finishReason, expected.finishReason);
      if (got.finishReason === "length") assert.equal(got.usage.completionTokens, sampling?.maxTokens);
      assert.equal(got.usage.promptTokens, expected.usage.promptTokens);
      assert.ok((got.profile.decodeTokensPerSec ?? 1) > 0 && (got.profile.ttftMs ?? 0) >= 0);
    }
  } finally {
    spy.restore();
    await m.dispose();
  }
});

async function chat(m: LoadedModel, request: Omit<ChatRequest, "task">) {
  let streamed = "";
  let thought = "";
  let result: GenerationResult | undefined;
  for await (const e of m.run({ task: "chat", ...request })) {
    if (e.type === "text") streamed += e.text;
    if (e.type === "reasoning") thought += e.text;
    if (e.type === "result") result = e.result as GenerationResult;
  }
  assert.ok(result, "a result");
  assert.equal(streamed, result.text, "the streamed text is the result's text");
  assert.equal(thought, result.reasoning ?? "", "the streamed reasoning is the result's reasoning");
  return result;
}

test("plain chat answers take the loop too and read exactly as LlamaChat's; tool calls stay with LlamaChat", {
  skip,
}, async () => {
  const spy = countLoopRuns();
  const CHATS: Array<Omit<ChatRequest, "task">> = [
    { messages: [{ role: "user", content: "hi" }], sampling: { temperature: 0, maxTokens: 40 } },
    {
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "what is a lamp?" },
      ],
      sampling: { temperature: 0.8, seed: 5, maxTokens: 60 },
    },
    {
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
        { role: "user", content: "tell me more" },
      ],
      sampling: { temperature: 1, seed: 9, maxTokens: 80 },
    },
  ];
  // the tiny fixture, and the bench fixture, whose answers start with a word-start token (no leading space either way)
  for (const preset of ["tiny", "bench"] as const) {
    const primary = await ensureFixture(preset);
    const m = await (await loadBackend("llama")).load(
      { dir: path.dirname(primary), primary, format: "gguf", type: "llm" },
      { device: "cpu", contextSize: 512, extra: { llamaBuild: "prebuilt" } },
    );
    try {
      for (const request of preset === "tiny" ? CHATS : CHATS.slice(0, 1)) {
        const before = spy.count();
        const expected = await loopOff(() => chat(m, request));
        const got = await chat(m, request);
        assert.equal(spy.count(), before + 1, "the answer came from the native loop");
        if (expected.usage.completionTokens < got.usage.completionTokens) {
          // LlamaChat does not count a last token that ends partway through a character
          assert.equal(got.usage.completionTokens, request.sampling?.maxTokens);
        }
        assert.equal(got.text, expected.text, JSON.stringify(request));
        assert.equal(got.reasoning, expected.reasoning);
        assert.equal(got.finishReason, expected.finishReason);
      }
    } finally {
      await m.dispose();
    }
  }
  const m = await loadTiny({ contextSize: 2048 });
  try {
    const before = spy.count();
    const tools = [{ name: "lamp", description: "lights the lamp", parameters: { type: "object", properties: {} } }];
    await chat(m, { messages: [{ role: "user", content: "hi" }], tools, sampling: { temperature: 0, maxTokens: 8 } });
    assert.equal(spy.count(), before);
  } finally {
    spy.restore();
    await m.dispose();
  }
});

test("a chat format with <think> segments (Qwen's) takes the loop, and its reasoning and answers read exactly as LlamaChat's", {
  skip,
}, async () => {
  const primary = await ensureFixture("tools");
  const { special } = buildVocab(PRESETS.tools.vocab);
  const m = await (await loadBackend("llama")).load(
    { dir: path.dirname(primary), primary, format: "gguf", type: "llm" },
    { device: "cpu", contextSize: 1024, extra: { llamaBuild: "prebuilt" } },
  );
  const spy = countLoopRuns();
  try {
    // the random model writes think tags where a bias favours them: answers that open with a think
    // block (reasoning, then maybe an answer), and tags in the middle, which stay text on both paths
    const bias = { [special["<think>"]]: 11, [special["</think>"]]: 6 };
    let withReasoning = 0;
    let tagsInText = 0;
    for (const seed of [1, 2, 4, 8, 10]) {
      const request: Omit<ChatRequest, "task"> = {
        messages: [{ role: "user", content: "what is a lamp?" }],
        sampling: { temperature: 0.9, seed, maxTokens: 40, logitBias: seed === 1 ? {} : bias },
      };
      const expected = await loopOff(() => chat(m, request));
      const before = spy.count();
      const got = await chat(m, request);
      assert.equal(spy.count(), before + 1, "the answer came from the native loop");
      assert.equal(got.reasoning, expected.reasoning, `seed ${seed}`);
      assert.equal(got.text, expected.text, `seed ${seed}`);
      assert.equal(got.finishReason, expected.finishReason);
      if (got.reasoning) withReasoning++;
      if (got.text.includes("<think>")) tagsInText++;
    }
    assert.ok(withReasoning >= 1 && tagsInText >= 1, `${withReasoning} answers with reasoning, ${tagsInText} with tags in the text`);
  } finally {
    spy.restore();
    await m.dispose();
  }
});

test("the loop takes chat formats whose reasoning is a <think> block the model writes as text, and leaves every other segment kind to LlamaChat", {
  skip,
}, async () => {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: await ensureFixture("tools") });
  try {
    const history: ChatHistoryItem[] = [
      { type: "user", text: "hi" },
      { type: "model", response: [] },
    ];
    const takes = (w: ChatWrapper) => loopStops(w, w.generateContextState({ chatHistory: history }), model) !== undefined;
    assert.equal(takes(new QwenChatWrapper()), true, "Qwen: <think>\\n … \\n</think>");
    // DeepSeek's segments on ChatML's turns (this vocabulary has none of DeepSeek's turn tokens)
    const segmentsOf = (segments: ChatWrapper["settings"]["segments"]) => {
      const w = new ChatMLChatWrapper();
      Object.defineProperty(w, "settings", { value: { ...w.settings, segments } });
      return w;
    };
    const deepSeek = new DeepSeekChatWrapper().settings.segments;
    assert.equal(takes(segmentsOf(deepSeek)), true, "DeepSeek: <think> … </think>");
    assert.ok(deepSeek?.thought);
    assert.equal(takes(segmentsOf({ thought: { ...deepSeek.thought, openOnResponseStart: true } })), false, "a thought the prompt opens");
    assert.equal(takes(new ChatMLChatWrapper()), true, "no segments");
    assert.equal(takes(new HarmonyChatWrapper()), false, "gpt-oss: analysis and commentary channels");
    assert.equal(takes(new SeedChatWrapper()), false, "Seed: <seed:think>");
    assert.equal(takes(new Gemma4ChatWrapper()), false, "Gemma 4: thought channel");
  } finally {
    await model.dispose();
  }
});

test("a prompt keeps the cells of the start it shares with the sequence, but not a lone first token", { skip }, async () => {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: await ensureFixture("tiny") });
  try {
    const context = await model.createContext({ contextSize: 256 });
    const sequence = context.getSequence();
    const bos = model.tokens.bos as Token;
    const first = [bos, ...model.tokenize("the lamp is lit")];
    await sequence.evaluateWithoutGeneratingNewTokens(first);
    // a longer turn of the same text keeps all of it; the same prompt again keeps all but its last
    // token (decoded again for its logits)
    assert.equal(keptStart(sequence, [...first, ...model.tokenize(" and warm")]), first.length);
    assert.equal(keptStart(sequence, first), first.length - 1);
    // another text after the same beginning-of-text token is decoded whole: kept, that one token
    // would put the prompt one cell off the CPU's attention tiles
    const other = [bos, (first[1] === 20 ? 21 : 20) as Token, ...first.slice(2)];
    assert.equal(keptStart(sequence, other), 0);
    await context.dispose();
  } finally {
    await model.dispose();
  }
});

test("stop strings end the text right before the first one, never streaming a part of it; tokens decoded past it are not counted", {
  skip,
}, async () => {
  const m = await loadTiny({ contextSize: 1024 });
  const spy = countLoopRuns();
  try {
    const greedy = { temperature: 0, maxTokens: 40 };
    const full = (await complete(m, "Once upon a time", greedy)).text;
    const words = full.split(" ").filter((w) => w.length > 2);
    assert.ok(words.length >= 2, full);
    // within a token, across tokens (the end of one word and the start of the next), more than one, none
    const cases = [
      [words[1]],
      [full.slice(full.indexOf(words[1]) - 2, full.indexOf(words[1]) + 2)],
      ["zzz", words[2] ?? words[1]],
      ["zzz"],
    ];
    // node-llama-cpp's path (no helper, or a request the loop does not take) matches them the same way
    for (const way of ["loop", "node-llama-cpp"] as const)
      for (const stop of cases) {
        const at = Math.min(...stop.map((s) => full.indexOf(s)).filter((i) => i >= 0));
        const run = () => complete(m, "Once upon a time", { ...greedy, stop });
        const got = await (way === "loop" ? run() : loopOff(run));
        const what = `${way} ${JSON.stringify(stop)}`;
        assert.equal(got.text, Number.isFinite(at) ? full.slice(0, at) : full, what);
        assert.equal(got.finishReason, Number.isFinite(at) ? "stop" : "length", what);
        if (Number.isFinite(at)) assert.ok(got.usage.completionTokens < 40, `${what}: tokens past the stop string are not counted`);
      }
    assert.equal(spy.count(), 1 + cases.length);
    // and in chats with tools (LlamaChat's path)
    const tools = [{ name: "lamp", description: "lights the lamp", parameters: { type: "object", properties: {} } }];
    const answer = (await chat(m, { messages: [{ role: "user", content: "hi" }], tools, sampling: greedy })).text;
    const cut = answer.split(" ").find((w) => w.length > 2);
    if (cut) {
      const got = await chat(m, { messages: [{ role: "user", content: "hi" }], tools, sampling: { ...greedy, stop: [cut] } });
      assert.equal(got.text, answer.slice(0, answer.indexOf(cut)), `tools, stop ${JSON.stringify(cut)}`);
      assert.equal(got.finishReason, "stop");
    }
  } finally {
    spy.restore();
    await m.dispose();
  }
});

test("the loop keeps node-llama-cpp's record of the sequence true: requests on either path afterwards reuse the cells and answer as on a fresh model", {
  skip,
}, async () => {
  const greedy = { temperature: 0, maxTokens: 24 };
  const fresh = await loadTiny();
  const mixed = await loadTiny();
  try {
    const a = "The lamp in the window";
    const b = "The lamp in the window was lit";
    const expectA = await loopOff(() => complete(fresh, a, greedy));
    const heldA = heldTokens(fresh);
    const expectB = await loopOff(() => complete(fresh, b, greedy));
    const heldB = heldTokens(fresh);
    // the same request through the loop leaves the same tokens recorded as node-llama-cpp's loop does
    assert.equal((await complete(mixed, a, greedy)).text, expectA.text);
    assert.deepEqual(heldTokens(mixed), heldA);
    // node-llama-cpp's path after the loop, on the cells the loop wrote
    assert.equal((await loopOff(() => complete(mixed, b, greedy))).text, expectB.text);
    assert.deepEqual(heldTokens(mixed), heldB);
    // and the loop after node-llama-cpp's path, reusing the shared start
    const again = await complete(mixed, a, greedy);
    assert.equal(again.text, expectA.text);
    assert.deepEqual(heldTokens(mixed), heldA);
    // the same prompt again: all but its last token are reused, and the answer is the same
    const repeat = await complete(mixed, a, greedy);
    assert.equal(repeat.text, expectA.text);
  } finally {
    await fresh.dispose();
    await mixed.dispose();
  }
});

test("aborting a generation in the loop ends it with an abort, and the model answers the same afterwards; disposing mid-generation ends it", {
  skip,
}, async () => {
  const m = await loadTiny({ contextSize: 1024 });
  try {
    const expected = await complete(m, "Once upon a time", { temperature: 0, maxTokens: 30 });
    // the abort comes at the first text of a 900-token answer with the end tokens banned; under load
    // the loop can finish all 900 before JavaScript reads the first (the check needs an abort during
    // the generation), and then it runs again, up to five times
    let aborted = false;
    for (let attempt = 0; attempt < 5 && !aborted; attempt++) {
      const ac = new AbortController();
      const sampling = { temperature: 0.7, seed: 3 + attempt, maxTokens: 900, logitBias: NO_END_BIAS };
      const outcome = await complete(m, "A long story", sampling, ac.signal, () => ac.abort()).then(
        (r) => r,
        (e: unknown) => e,
      );
      if (outcome instanceof HearthError && outcome.code === "aborted") aborted = true;
      else assert.equal((outcome as GenerationResult).usage?.completionTokens, 900, `not an abort: ${String(outcome)}`);
    }
    assert.ok(aborted, "an abort during the generation ends it with an abort");
    assert.equal((await complete(m, "Once upon a time", { temperature: 0, maxTokens: 30 })).text, expected.text);
    // dispose while a long generation runs: the loop stops after its token, and both settle
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const generation = complete(m, "A long story", { temperature: 0.7, seed: 3, maxTokens: 900 }, undefined, () => started()).then(
      (r) => r.finishReason,
      (e: unknown) => (e instanceof HearthError ? e.code : String(e)),
    );
    await running;
    await m.dispose();
    const ended = await generation;
    assert.ok(["length", "stop", "aborted", "internal"].includes(String(ended)), String(ended));
  } finally {
    await m.dispose();
  }
});

test("grammars, JSON objects and JSON schemas constrain the loop's tokens exactly as node-llama-cpp's sampler does, in completions and chats", {
  skip,
}, async () => {
  const m = await loadTiny();
  const spy = countLoopRuns();
  const constraints: OutputConstraint[] = [
    { type: "grammar", grammar: 'root ::= "a"+' },
    { type: "grammar", grammar: 'root ::= ("yes" | "no") " " [a-z]{2,8} "."' },
    { type: "json_object" },
    {
      type: "json_schema",
      schema: { type: "object", properties: { name: { type: "string" }, n: { type: "integer" } }, required: ["name", "n"] },
    },
  ];
  try {
    let ended = 0;
    for (const constraint of constraints)
      for (const seed of [1, 2, 3])
        for (const task of ["complete", "chat"] as const) {
          const sampling = { temperature: seed === 1 ? 0 : 0.8, seed, maxTokens: 60 };
          const run = () =>
            task === "complete"
              ? complete(m, "The answer is", sampling, undefined, undefined, constraint)
              : chat(m, { messages: [{ role: "user", content: "answer" }], sampling, constraint });
          const expected = await loopOff(run);
          const before = spy.count();
          const got = await run();
          const what = `${task} ${JSON.stringify(constraint)} seed ${seed}`;
          assert.equal(spy.count(), before + 1, `${what}: the native loop`);
          assert.equal(got.finishReason, expected.finishReason, what);
          if (got.finishReason === "length") {
            // node-llama-cpp's last token may end partway through a character (token limit above)
            assert.ok(expected.text.startsWith(got.text) || got.text.startsWith(expected.text), `${what}: ${got.text} / ${expected.text}`);
            continue;
          }
          assert.equal(got.text, expected.text, what);
          ended++;
          if (constraint.type !== "grammar") assert.equal(typeof JSON.parse(got.text), "object", what);
          else assert.match(got.text, /^(a+|(yes|no) [a-z]{2,8}\.)$/, what);
        }
    assert.ok(ended >= 12, `${ended} answers ended by the grammar or the model`);
  } finally {
    spy.restore();
    await m.dispose();
  }
});

test("with a JSON grammar the streamed text is the result's on both paths (the whitespace a JSON grammar leaves at the end is trimmed from both)", {
  skip,
}, async () => {
  const m = await loadTiny({ contextSize: 512 });
  try {
    for (const way of ["loop", "node-llama-cpp"] as const)
      for (let seed = 0; seed < 15; seed++) {
        const run = () => complete(m, "Data:", { temperature: 1, seed, maxTokens: 60 }, undefined, undefined, { type: "json_object" });
        // complete() asserts that the streamed text is the result's
        const r = await (way === "loop" ? run() : loopOff(run));
        assert.equal(r.text, r.text.trimEnd(), `${way} seed ${seed}`);
      }
  } finally {
    await m.dispose();
  }
});

test("repeat, presence and frequency penalties take the loop and answer exactly as node-llama-cpp's, in completions and chats; penalties that are none (1, zeros) change nothing", {
  skip,
}, async () => {
  const m = await loadTiny();
  const spy = countLoopRuns();
  try {
    // node-llama-cpp punishes the tokens it has handed on, so one it holds back (the first bytes of a
    // character, a possible start of a stop string) is left out of its penalties until the next; the
    // loop punishes every token it samples. Banning such tokens makes the two the same by definition.
    const model = (m as unknown as { engine: { model: LlamaModel } }).engine.model;
    const held: Record<number, number> = {};
    for (const token of model.iterateAllTokens()) {
      const text = model.detokenize([token]);
      if (text.endsWith("\uFFFD") || text.includes("<")) held[token] = -Infinity;
    }
    const cases: CompleteRequest["sampling"][] = [
      { temperature: 0, maxTokens: 60, repeatPenalty: 1.3 },
      // hearth infer's defaults
      { temperature: 0.8, seed: 3, maxTokens: 60, repeatPenalty: 1.1, presencePenalty: 0.5, frequencyPenalty: 0.5 },
      { temperature: 0, maxTokens: 100, frequencyPenalty: 1 },
    ];
    for (const penalties of cases) {
      const sampling = { ...penalties, logitBias: held };
      const unpunished = { ...sampling, repeatPenalty: undefined, presencePenalty: undefined, frequencyPenalty: undefined };
      const messages: ChatRequest["messages"] = [{ role: "user", content: "Once upon a time" }];
      const before = spy.count();
      const expected = await loopOff(() => complete(m, "Once upon a time", sampling));
      const expectedChat = await loopOff(() => chat(m, { messages, sampling }));
      assert.equal(spy.count(), before);
      const got = await complete(m, "Once upon a time", sampling);
      const gotChat = await chat(m, { messages, sampling });
      assert.equal(spy.count(), before + 2, "both took the loop");
      assert.equal(got.text, expected.text, JSON.stringify(penalties));
      assert.equal(gotChat.text, expectedChat.text, JSON.stringify(penalties));
      // and the penalties did something
      assert.notEqual((await complete(m, "Once upon a time", unpunished)).text, got.text, JSON.stringify(penalties));
    }
    const plain = await complete(m, "Hello", { temperature: 0, maxTokens: 16 });
    const zeros = await complete(m, "Hello", { temperature: 0, maxTokens: 16, repeatPenalty: 1, presencePenalty: 0, frequencyPenalty: 0 });
    assert.equal(zeros.text, plain.text);
  } finally {
    spy.restore();
    await m.dispose();
  }
});

test("on a context of several sequences, concurrent generations share the loop's batches and each answers as it would alone, also beside one on node-llama-cpp's path", {
  skip,
}, async () => {
  const requests: Array<[string, CompleteRequest["sampling"]]> = [
    ["Once upon a time", { temperature: 0, maxTokens: 48 }],
    ["The quick brown fox", { temperature: 0.8, seed: 7, maxTokens: 30 }],
    ["Hello", { temperature: 0, maxTokens: 60 }],
    ["A lamp in the window", { temperature: 1, seed: 2, maxTokens: 40 }],
  ];
  const alone = await loadTiny();
  // room for the tools' description in a sequence
  const shared = await loadTiny({ parallel: 4, contextSize: 1024 });
  const spy = countLoopRuns();
  try {
    assert.equal(shared.info.settings.tokenLoop, "native");
    const expected = [];
    // each alone in the loop (which answers as node-llama-cpp's loop does: the first test)
    for (const [prompt, sampling] of requests) expected.push((await complete(alone, prompt, sampling)).text);
    const before = spy.count();
    const together = await Promise.all(requests.map(([prompt, sampling]) => complete(shared, prompt, sampling)));
    assert.equal(spy.count(), before + requests.length);
    assert.deepEqual(
      together.map((r) => r.text),
      expected,
    );
    // again, with a request on node-llama-cpp's path among them (a chat with tools: its own decode
    // steps and cell changes), a few times over: the sequences' cells change while the loop decodes the others
    const tools = [{ name: "lamp", description: "lights the lamp", parameters: { type: "object", properties: {} } }];
    for (let round = 0; round < 3; round++) {
      const runs = spy.count();
      const others = requests.slice(round, round + 3);
      const [withTools, ...rest] = await Promise.all([
        chat(shared, { messages: [{ role: "user", content: "hi" }], tools, sampling: { temperature: 0, maxTokens: 12 } }),
        ...others.map(([p, s]) => complete(shared, p, s)),
      ]);
      assert.equal(spy.count(), runs + others.length, "the chat with tools took node-llama-cpp's path, the others the loop");
      assert.ok(withTools.usage.completionTokens > 0);
      assert.deepEqual(
        rest.map((r) => r.text),
        expected.slice(round, round + 3),
      );
    }
  } finally {
    spy.restore();
    await alone.dispose();
    await shared.dispose();
  }
});

test("steps of two streams' tokens are timed as one batch and as one decode each, the faster way is kept, and the answers are the same either way", {
  skip,
}, async () => {
  // the first answer is long and the second starts once the first streams: on a fast CPU the tiny
  // model's 40 tokens can be done before a request started beside it reaches the loop
  const requests: Array<[string, CompleteRequest["sampling"]]> = [
    ["Once upon a time", { temperature: 0, maxTokens: 400, logitBias: NO_END_BIAS }],
    ["A lamp in the window", { temperature: 0.9, seed: 5, maxTokens: 40, logitBias: NO_END_BIAS }],
  ];
  const alone = await loadTiny({ contextSize: 512 });
  const shared = await loadTiny({ parallel: 2, contextSize: 512 });
  try {
    const expected = [];
    for (const [prompt, sampling] of requests) expected.push((await complete(alone, prompt, sampling)).text);
    let second: Promise<GenerationResult> | undefined;
    const first = complete(shared, requests[0][0], requests[0][1], undefined, () => {
      second ??= complete(shared, requests[1][0], requests[1][1]);
    });
    const together = [await first, await second!];
    assert.deepEqual(
      together.map((r) => r.text),
      expected,
    );
    const context = (shared as unknown as { engine: { context: Parameters<typeof contextLoopOf>[0] } }).engine.context;
    const two = contextLoopOf(context)!
      .steps()
      .find((w) => w.streams === 2);
    assert.ok(two, "steps of two streams were timed");
    // both ways tried (three times each) before one is kept; every step of the two streams counted
    assert.ok(two.joinedSteps >= 3 && two.splitSteps >= 3, JSON.stringify(two));
    assert.ok(two.joinedSteps + two.splitSteps >= 30, JSON.stringify(two));
    assert.equal(two.split, two.splitMs < two.joinedMs, JSON.stringify(two));
  } finally {
    await alone.dispose();
    await shared.dispose();
  }
});

test("a request arriving while another's long prompt is decoded waits without blocking JavaScript, and goes in with its next piece", {
  skip,
  timeout: 180_000,
}, async (t) => {
  // batches of 128 tokens: the long prompt takes several steps
  const m = await loadBenchModel({ batchSize: 128, threads: 1 });
  try {
    const greedy = { temperature: 0, maxTokens: 4, logitBias: NO_END_BIAS };
    // both sequences hold an answer, so the second request below must clear the cells of its own
    await Promise.all([complete(m, "First of all", greedy), complete(m, "Second of all", greedy)]);
    const words = "apple river stone cloud garden lamp window music paper silver ".repeat(40).slice(0, 1400);
    const long = complete(m, words, greedy);
    await new Promise((r) => setTimeout(r, 300));
    let last = performance.now();
    let gap = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
    }, 5);
    const asked = performance.now();
    let firstText = 0;
    let short: GenerationResult;
    try {
      short = await complete(m, "Another prompt", greedy, undefined, () => {
        firstText ||= performance.now() - asked;
      });
    } finally {
      clearInterval(tick);
    }
    const prefillMs = (await long).profile.ttftMs ?? 0;
    t.diagnostic(
      `long prefill ${Math.round(prefillMs)} ms; the short request's first text after ${Math.round(firstText)} ms; JavaScript's longest stop ${Math.round(gap)} ms`,
    );
    assert.equal(short.usage.completionTokens, 4);
    assert.ok(prefillMs > 1000, `the long prompt took ${Math.round(prefillMs)} ms: too short to tell`);
    // the short request waited for the step it arrived in (llama.cpp's memory must not change under a
    // decode) with JavaScript going on meanwhile; before, that wait blocked it for the rest of the step
    assert.ok(gap < prefillMs / 4, `JavaScript stood still for ${Math.round(gap)} ms of a ${Math.round(prefillMs)} ms prefill`);
    // then its prompt went in with the long one's next piece, not after all of it
    assert.ok(
      firstText < prefillMs * 0.7,
      `its first text came ${Math.round(firstText)} ms after it was asked, the long prefill took ${Math.round(prefillMs)} ms`,
    );
  } finally {
    await m.dispose();
  }
});

test("a stream keeps getting tokens while another request's long prompt is decoded: the prompt goes in pieces cut to the stream's stall limit", {
  skip,
  timeout: 300_000,
}, async (t) => {
  const m = await loadBenchModel({ batchSize: 512, threads: 2 });
  const long = "apple river stone cloud garden lamp window music paper silver ".repeat(50);
  /** the streaming request's tokens while the long prompt was decoded (from its request to its first text) */
  const during = async (stall: string) => {
    const streamed: number[] = [];
    const stop = new AbortController();
    // the stall limit is the streaming generation's own: it is read when that request starts
    const stream = withEnv("HEARTH_STREAM_STALL_MS", stall, () =>
      complete(m, "Hello world", { temperature: 0, maxTokens: 600, logitBias: NO_END_BIAS }, stop.signal, () =>
        streamed.push(performance.now()),
      ),
    );
    while (streamed.length < 3) await new Promise((r) => setTimeout(r, 5));
    const asked = performance.now();
    let first = 0;
    // a start of its own, so that no cells of the other run's prompt are reused
    const other = await complete(m, `${stall} ${long}`, { temperature: 0, maxTokens: 1, logitBias: NO_END_BIAS }, undefined, () => {
      first ||= performance.now();
    });
    stop.abort();
    const a = await stream.then(
      (r) => r.finishReason,
      (e: unknown) => (e instanceof HearthError ? e.code : String(e)),
    );
    assert.equal(a, "aborted", "the stream was still going when the long prompt's first token came");
    assert.ok(other.usage.promptTokens > 1200, `the long prompt has ${other.usage.promptTokens} tokens`);
    return { tokens: streamed.filter((x) => x > asked && x < first).length, ms: first - asked, prompt: other.usage.promptTokens };
  };
  try {
    // "off": prompts fill the batch (512), as llama.cpp's server does: the stream gets a token per piece
    const whole = await during("off");
    // 0 ms: the smallest pieces (128 tokens), so the stream gets a token every 128 prompt tokens (13)
    const cut = await during("0");
    t.diagnostic(
      `a ${cut.prompt}-token prompt beside a stream: in batch-size pieces the stream got ${whole.tokens} tokens in ${Math.round(whole.ms)} ms, in pieces cut to its limit ${cut.tokens} in ${Math.round(cut.ms)} ms`,
    );
    // four pieces against thirteen: nine steps more, each with a token of the stream's (a step or two
    // of the stream's alone may fall between the request and its first piece in either run)
    assert.ok(whole.tokens <= 8, `in 512-token pieces the stream got ${whole.tokens} tokens`);
    assert.ok(cut.tokens - whole.tokens >= 6, `in 128-token pieces the stream got ${cut.tokens} tokens, in 512-token ones ${whole.tokens}`);
  } finally {
    await m.dispose();
  }
});

test("the native loop refuses bad arguments, a sampler of another model, tokens outside the vocabulary and a second generation on a busy sequence", {
  skip,
}, async () => {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: await ensureFixture("tiny"), gpuLayers: 0 });
  const other = await llama.loadModel({ modelPath: await ensureFixture("bench"), gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    assert.deepEqual(attachContextThreads(context, model, 1, true), { threadPool: "persistent", decodeThread: "own" });
    const loop = contextLoopOf(context)!;
    const Sampler = (
      llama as unknown as { _bindings: { AddonSampler: new (m: object) => { applyConfig(c: object): void; dispose(): void } } }
    )._bindings.AddonSampler;
    const native = (m: object) => (m as { _model: object })._model;
    const sampler = new Sampler(native(model));
    sampler.applyConfig({ temperature: 0 });
    const options = { sequence: 0, position: 0, maxTokens: 4, positionLimit: 255, decodeThreads: 1, batchThreads: 1 };
    const noop = () => undefined;
    assert.throws(() => (loop.generate as (...a: unknown[]) => unknown)({}, [1, 2], options, noop), TypeError);
    const foreign = new Sampler(native(other));
    foreign.applyConfig({ temperature: 0 });
    await assert.rejects(loop.generate(foreign, Uint32Array.of(1, 2), options, noop), /not for this context's model/);
    await assert.rejects(loop.generate(sampler, Uint32Array.of(1, 1e6), options, noop), /outside the model's vocabulary/);
    await assert.rejects(loop.generate(sampler, Uint32Array.of(1, 2), { ...options, maxTokens: 0 }, noop), /maxTokens of 1 or more/);
    const tokens: number[] = [];
    const first = loop.generate(sampler, Uint32Array.from(model.tokenize("Once upon a time")), { ...options, maxTokens: 100 }, (t) =>
      tokens.push(...t),
    );
    await assert.rejects(loop.generate(sampler, Uint32Array.of(1, 2), options, noop), /busy/);
    const end = await first;
    assert.ok(end.stop === "length" || end.stop === "eog");
    assert.equal(end.evaluated, model.tokenize("Once upon a time").length + tokens.length - (end.stop === "length" ? 1 : 0));
    sampler.dispose();
    foreign.dispose();
  } finally {
    await context.dispose();
    await model.dispose();
    await other.dispose();
    await llama.dispose();
  }
});

test("a burst of short chats on a context of several sequences all finish (a sequence's cells change while others join and leave the loop)", {
  skip,
  timeout: 60_000,
}, async () => {
  const m = await loadTiny({ parallel: 4, contextSize: 512 });
  try {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        chat(m, { messages: [{ role: "user", content: `question ${i}` }], sampling: { maxTokens: 4, seed: i, temperature: 0.8 } }),
      ),
    );
    assert.equal(results.length, 300);
    for (const r of results) assert.ok(r.usage.completionTokens <= 4 && (r.finishReason === "stop" || r.usage.completionTokens === 4));
  } finally {
    await m.dispose();
  }
});
