// Tool calls and reasoning through the model's own chat template (the "tools" fixture carries
// Qwen3's template). Random weights rarely call a tool by themselves, so calls are forced with
// toolChoice "required" / { name }: the template's call syntax is injected and the arguments are
// constrained to the tool's JSON schema, which is what a server does for tool_choice "required".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LLM } from "../../src/sdk/LLM.ts";
import { HearthError } from "../../src/errors/HearthError.ts";
import type { ToolDefinition } from "../../src/sdk/types.ts";
import { ensureFixture } from "../../fixtures/index.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-tools-"));
process.env.HEARTH_HOME = home;

const tools: ToolDefinition[] = [
  {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { unit: { enum: ["celsius", "fahrenheit"] }, days: { type: "integer" }, alerts: { type: "boolean" } },
    },
  },
  { name: "get_time", description: "Current time", parameters: { type: "object", properties: { zone: { enum: ["utc", "local"] } } } },
];
const ask = [{ role: "user" as const, content: "What's the weather in Paris?" }];

let llm: LLM;
before(async () => {
  llm = await LLM.load(await ensureFixture("tools"), { threads: 1, contextSize: 2048 });
});
after(async () => {
  await llm?.dispose();
  rmSync(home, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => e instanceof HearthError && e.code === code);
}

test("the Qwen3 template is recognised", () => {
  assert.equal(llm.info.settings.chatWrapper, "Qwen");
});

test("toolChoice required: a tool call is parsed, streamed and ends the turn", async () => {
  const s = llm.chat(ask, { temperature: 0, maxTokens: 120, tools, toolChoice: "required", parallelToolCalls: false });
  const streamed = [];
  for await (const c of s) if (c.type === "tool_call") streamed.push(c);
  const r = await s.result;
  assert.equal(r.finishReason, "tool_calls");
  assert.equal(r.toolCalls?.length, 1);
  const call = r.toolCalls![0];
  assert.ok(["get_weather", "get_time"].includes(call.name));
  assert.match(call.id, /^call_/);
  const args = JSON.parse(call.arguments);
  if (call.name === "get_weather") {
    for (const [k, v] of Object.entries(args)) {
      if (k === "unit") assert.ok(v === "celsius" || v === "fahrenheit");
      else if (k === "days") assert.ok(Number.isInteger(v), `days ${v}`);
      else assert.equal(k, "alerts");
    }
  } else {
    assert.ok(args.zone === undefined || ["utc", "local"].includes(args.zone));
  }
  assert.deepEqual(
    streamed.map((c) => c.call),
    r.toolCalls,
  );
  assert.ok(r.usage.completionTokens > 3, "the call's tokens are counted");
});

test("a named toolChoice calls that tool", async () => {
  const r = await llm.chat(ask, { temperature: 0, maxTokens: 120, tools, toolChoice: { name: "get_time" }, parallelToolCalls: false })
    .result;
  assert.equal(r.finishReason, "tool_calls");
  assert.deepEqual(
    r.toolCalls?.map((c) => c.name),
    ["get_time"],
  );
  assert.doesNotThrow(() => JSON.parse(r.toolCalls![0].arguments));
});

test("toolChoice none never calls a tool", async () => {
  const r = await llm.chat(ask, { temperature: 0, maxTokens: 12, tools, toolChoice: "none" }).result;
  assert.equal(r.toolCalls, undefined);
  assert.notEqual(r.finishReason, "tool_calls");
});

test("tool results go back through the template", async () => {
  const call = (
    await llm.chat(ask, { temperature: 0, maxTokens: 120, tools, toolChoice: { name: "get_time" }, parallelToolCalls: false }).result
  ).toolCalls![0];
  const base = await llm.chat(ask, { temperature: 0, maxTokens: 4, tools }).result;
  const r = await llm.chat(
    [
      ...ask,
      { role: "assistant", content: "", toolCalls: [call] },
      { role: "tool", toolCallId: call.id, content: JSON.stringify({ time: "12:00 UTC, sunny and warm all afternoon" }) },
    ],
    { temperature: 0, maxTokens: 4, tools },
  ).result;
  assert.ok(r.usage.promptTokens > base.usage.promptTokens + 20, `${r.usage.promptTokens} vs ${base.usage.promptTokens}`);
});

test("bad tool requests are bad_input", async () => {
  await rejectsWith(llm.chat(ask, { tools, toolChoice: { name: "nope" } }).result, "bad_input");
  await rejectsWith(llm.chat(ask, { toolChoice: "required" }).result, "bad_input");
  await rejectsWith(llm.chat(ask, { tools, constraint: { type: "json_object" } }).result, "bad_input");
  await rejectsWith(llm.chat([...ask, { role: "tool", toolCallId: "x", content: "1" }], { tools }).result, "bad_input");
  await rejectsWith(
    llm.chat([...ask, { role: "assistant", content: "", toolCalls: [{ id: "a", name: "get_time", arguments: "{oops" }] }], { tools })
      .result,
    "bad_input",
  );
});

test("a <think> block is kept apart from the answer as reasoning", async () => {
  // the grammar makes the random model write a think block, then an answer
  const grammar = 'root ::= "<think>\\n" [a-z]{3,6} "\\n</think>\\n\\n" [a-z]{2,5}';
  const s = llm.chat(ask, { temperature: 0, maxTokens: 60, constraint: { type: "grammar", grammar } });
  let text = "";
  let reasoning = "";
  for await (const c of s) {
    if (c.type === "text") text += c.text;
    if (c.type === "reasoning") reasoning += c.text;
  }
  const r = await s.result;
  assert.match(r.reasoning ?? "", /^[a-z]{3,6}$/);
  assert.match(r.text, /^[a-z]{2,5}$/);
  assert.equal(text, r.text);
  assert.equal(reasoning, r.reasoning);
});
