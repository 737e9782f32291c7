// The AI SDK's own functions (ai, pinned exactly in devDependencies) through hearth/ai-sdk, in this
// process, on the random-weight fixtures: generateText with a two-step tool loop, streamText with
// text, reasoning and tool-call deltas, generateObject with Zod, embedMany, usage, abort, and
// provider metadata carrying hearth's profile.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { embed, embedMany, generateObject, generateText, stepCountIs, streamText, tool, cosineSimilarity } from "ai";
import { z } from "zod";
import { createHearth, type HearthProvider } from "../../src/ai-sdk/index.ts";
import { Embedder, LLM } from "../../src/index.ts";
import { ensureFixture } from "../../fixtures/index.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-ai-sdk-"));
process.env.HEARTH_HOME = home;

let llm: LLM;
let hearth: HearthProvider;
let embedFixture: string;
before(async () => {
  llm = await LLM.load(await ensureFixture("tools"), { threads: 1, contextSize: 2048 });
  embedFixture = await ensureFixture("embed");
  hearth = createHearth({ load: { threads: 1, contextSize: 512 } });
});
after(async () => {
  await hearth?.dispose();
  await llm?.dispose();
  rmSync(home, { recursive: true, force: true });
});

const weather = tool({
  description: "Current weather for a city",
  inputSchema: z.object({ unit: z.enum(["celsius", "fahrenheit"]) }),
  execute: async ({ unit }) => ({ unit, sky: "clear" }),
});

test("generateText: text, usage, finish reason and hearth's profile as provider metadata", async () => {
  const r = await generateText({ model: hearth(llm), prompt: "Say hello", temperature: 0, maxOutputTokens: 8 });
  const direct = await llm.chat([{ role: "user", content: "Say hello" }], { temperature: 0, maxTokens: 8 }).result;
  assert.equal(r.text, direct.text, "the same greedy answer as the SDK gives");
  assert.equal(r.usage.inputTokens, direct.usage.promptTokens);
  assert.equal(r.usage.outputTokens, 8);
  assert.equal(r.finishReason, "length");
  const meta = r.providerMetadata?.hearth as Record<string, unknown>;
  assert.equal(meta.engine, llm.info.backend);
  assert.equal(meta.device, llm.info.device);
  assert.equal(typeof meta.ttftMs, "number");
  assert.ok((meta.decodeTokensPerSec as number) > 0);
});

test("generateText runs a two-step tool loop: a forced call, executed by the AI SDK, then the answer", async () => {
  const r = await generateText({
    model: hearth(llm),
    prompt: "What's the weather in Paris?",
    tools: { get_weather: weather },
    prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? { type: "tool", toolName: "get_weather" } : "none" }),
    stopWhen: stepCountIs(2),
    temperature: 0,
    maxOutputTokens: 40,
  });
  assert.equal(r.steps.length, 2);
  assert.equal(r.steps[0].finishReason, "tool-calls");
  assert.equal(r.steps[0].toolCalls.length, 1);
  assert.equal(r.steps[0].toolCalls[0].toolName, "get_weather");
  const unit = (r.steps[0].toolCalls[0].input as { unit: string }).unit;
  assert.ok(unit === "celsius" || unit === "fahrenheit");
  assert.deepEqual(r.steps[0].toolResults[0].output, { unit, sky: "clear" });
  assert.equal(r.steps[1].toolCalls.length, 0);
  const alone = await generateText({ model: hearth(llm), prompt: "What's the weather in Paris?", maxOutputTokens: 1 });
  assert.ok(r.steps[1].usage.inputTokens! > alone.usage.inputTokens! + 10, "the call and its result went back in the prompt");
  assert.equal(r.totalUsage.outputTokens, r.steps[0].usage.outputTokens! + r.steps[1].usage.outputTokens!);
});

test("streamText streams text, reasoning and tool-call deltas", async () => {
  // a grammar (through providerOptions) makes the random model think, then answer
  const grammar = 'root ::= "<think>\\n" [a-z]{3,6} "\\n</think>\\n\\n" [a-z]{2,5}';
  const s = streamText({ model: hearth(llm), prompt: "Hi", temperature: 0, maxOutputTokens: 40, providerOptions: { hearth: { grammar } } });
  const kinds: string[] = [];
  let text = "";
  let reasoning = "";
  for await (const p of s.fullStream) {
    kinds.push(p.type);
    if (p.type === "text-delta") text += p.text;
    if (p.type === "reasoning-delta") reasoning += p.text;
  }
  assert.match(reasoning, /^[a-z]{3,6}$/);
  assert.match(text, /^[a-z]{2,5}$/);
  assert.equal(await s.text, text);
  assert.equal(await s.reasoningText, reasoning);
  assert.ok(
    kinds.indexOf("reasoning-start") < kinds.indexOf("reasoning-end") && kinds.indexOf("reasoning-end") < kinds.indexOf("text-start"),
    kinds.join(","),
  );
  assert.ok(((await s.providerMetadata)!.hearth as { ttftMs?: number }).ttftMs! >= 0);

  const t = streamText({
    model: hearth(llm),
    prompt: "Weather in Paris?",
    tools: { get_weather: weather },
    toolChoice: { type: "tool", toolName: "get_weather" },
    temperature: 0,
    maxOutputTokens: 40,
  });
  const parts: string[] = [];
  let input = "";
  for await (const p of t.fullStream) {
    parts.push(p.type);
    if (p.type === "tool-input-delta") input += p.delta;
  }
  for (const k of ["tool-input-start", "tool-input-delta", "tool-call", "tool-result"])
    assert.ok(parts.includes(k), `${k} in ${parts.join(",")}`);
  const calls = await t.toolCalls;
  assert.equal(calls.length, 1);
  assert.deepEqual(JSON.parse(input), calls[0].input);
  assert.equal(await t.finishReason, "tool-calls");
  assert.ok((await t.usage).outputTokens! > 0);
});

test("streamText stops when aborted", async () => {
  // the tiny model writes a token in tens of µs and the native loop hands them over in batches, so
  // on a loaded machine a whole answer can arrive before the first delta is read: the abort then
  // comes after the end, and the run is tried again (the check needs an abort mid-generation)
  let aborted = false;
  let deltas = 0;
  let kinds: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const controller = new AbortController();
    const s = streamText({
      model: hearth(llm),
      prompt: "Tell a long story",
      temperature: 0,
      maxOutputTokens: 1500,
      abortSignal: controller.signal,
      onAbort: () => {
        aborted = true;
      },
    });
    deltas = 0;
    kinds = [];
    for await (const p of s.fullStream) {
      kinds.push(p.type);
      if (p.type === "text-delta" && ++deltas === 1) controller.abort();
    }
    if (aborted || !kinds.includes("finish")) break;
  }
  assert.ok(aborted, `onAbort ran: ${kinds.join(",")}`);
  assert.ok(kinds.includes("abort"), kinds.join(","));
  assert.ok(deltas < 20, `${deltas} deltas`);
  await assert.rejects(
    generateText({ model: hearth(llm), prompt: "Hi", abortSignal: AbortSignal.abort() }),
    (e: unknown) => (e as Error).name === "AbortError",
  );
});

test("generateObject gives a Zod-validated object", async () => {
  const Answer = z.object({ ok: z.boolean(), color: z.enum(["red", "green", "blue"]), tags: z.array(z.enum(["a", "b"])).max(2) });
  const r = await generateObject({ model: hearth(llm), schema: Answer, prompt: "Give JSON", temperature: 0, maxOutputTokens: 80 });
  assert.deepEqual(r.object, Answer.parse(r.object));
  assert.ok(r.usage.outputTokens! > 3);
  assert.equal(typeof (r.providerMetadata!.hearth as { totalMs?: number }).totalMs, "number");
});

test("embed and embedMany through a model loaded by reference", async () => {
  const model = hearth.embeddingModel(embedFixture);
  const texts = ["the cat sat", "on the mat", "the cat sat"];
  const r = await embedMany({ model, values: texts });
  assert.equal(r.embeddings.length, 3);
  const direct = await Embedder.load(embedFixture, { threads: 1 });
  try {
    assert.equal(r.embeddings[0].length, direct.dimensions);
    const [v] = (await direct.embed(texts[1])).vectors;
    assert.ok(cosineSimilarity(v, r.embeddings[1]) > 0.9999);
  } finally {
    await direct.dispose();
  }
  assert.ok(cosineSimilarity(r.embeddings[0], r.embeddings[2]) > 0.9999);
  assert.ok(r.usage.tokens > 0);
  const one = await embed({ model, value: "hello" });
  assert.equal(one.embedding.length, r.embeddings[0].length);
});

test("models the provider does not have are refused as the AI SDK expects", () => {
  assert.throws(
    () => hearth.imageModel("x"),
    (e: unknown) => (e as Error).name === "AI_NoSuchModelError",
  );
});
