// Typed structured output and tools through Standard Schema (Zod 4) on the "tools" fixture (Qwen3's
// template): the object is parsed, validated and typed (tsc checks the inferred type on a file that
// uses it, and refuses a wrong use); schemas the grammar cannot express are refused naming the path;
// answers that do not validate reject with the raw text; the tool loop runs execute, bounded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { LLM, StructuredOutputError, tool, HearthError } from "../../src/index.ts";
import { grammarJsonSchema } from "../../src/backends/llama/jsonSchemaGrammar.ts";
import { ensureFixture } from "../../fixtures/index.ts";
import { repoRoot } from "../helpers/cli.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-structured-"));
process.env.HEARTH_HOME = home;

// enums, booleans and arrays: what random weights fill in validly and finish under the grammar (a
// free string from random weights never closes; string lengths and number ranges are the validator's)
const Person = z.object({
  title: z.enum(["dr", "mr", "ms"]),
  role: z.enum(["admin", "user"]),
  active: z.boolean(),
  tags: z.array(z.enum(["a", "b"])).max(2),
  team: z.enum(["red", "blue"]).nullable(),
});

let llm: LLM;
before(async () => {
  llm = await LLM.load(await ensureFixture("tools"), { threads: 1, contextSize: 2048 });
});
after(async () => {
  await llm?.dispose();
  rmSync(home, { recursive: true, force: true });
});

const ask = [{ role: "user" as const, content: "Describe a person as JSON" }];

test("a Zod schema gives a parsed, validated object", async () => {
  const s = llm.chat(ask, { schema: Person, temperature: 0, maxTokens: 120 });
  let streamed = "";
  for await (const c of s) if (c.type === "text") streamed += c.text;
  const r = await s.result;
  assert.equal(streamed, r.text);
  assert.deepEqual(r.object, Person.parse(JSON.parse(r.text)));
  assert.ok(["admin", "user"].includes(r.object.role));
  assert.equal(typeof r.object.active, "boolean");
  assert.ok(r.object.team === null || ["red", "blue"].includes(r.object.team)); // anyOf, as Zod writes nullable
  assert.ok(r.profile.decodeTokensPerSec !== undefined);
});

test("tsc infers the object's type from the schema and refuses a wrong use of it", async () => {
  const dir = mkdtempSync(path.join(repoRoot, ".typecheck-"));
  try {
    const header =
      `import { z } from "zod";\nimport { LLM } from "../src/index.ts";\n` +
      `declare const llm: LLM;\nconst Person = z.object({ name: z.string(), age: z.int() });\n` +
      `const { object } = await llm.chat([], { schema: Person }).result;\n`;
    writeFileSync(
      path.join(dir, "good.ts"),
      `${header}const name: string = object.name;\nconst age: number = object.age;\nexport { name, age };\n`,
    );
    writeFileSync(path.join(dir, "bad.ts"), `${header}const age: string = object.age;\nexport { age };\n`);
    const tsconfig = {
      extends: "../tsconfig.json",
      include: ["good.ts", "bad.ts"],
    };
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");
    const out = await promisify(execFile)(process.execPath, [tsc, "-p", dir], { cwd: repoRoot }).then(
      (r) => ({ code: 0, text: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, text: e.stdout }),
    );
    const errors = out.text.split("\n").filter((l) => /error TS/.test(l));
    assert.equal(errors.length, 1, out.text);
    assert.match(errors[0], /bad\.ts\(6,7\): error TS2322: Type 'number' is not assignable to type 'string'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a schema the grammar cannot express is refused, naming the path", async () => {
  const WithEmail = z.object({ contact: z.object({ email: z.email() }) });
  await assert.rejects(llm.chat(ask, { schema: WithEmail, maxTokens: 10 }).result, (e: unknown) => {
    assert.ok(e instanceof HearthError && e.code === "bad_input", String(e));
    assert.match(e.message, /at #\/properties\/contact\/properties\/email\/(pattern|format) /);
    return true;
  });
  const t = tool({ name: "mail", parameters: z.object({ to: z.string().regex(/^[a-z]+$/) }), execute: () => "sent" });
  await assert.rejects(
    llm.chat(ask, { tools: [t], toolChoice: "required", maxTokens: 10 }).result,
    /tool "mail" at #\/properties\/to\/pattern/,
  );
  // what JSON Schema cannot hold at all is refused by the schema library's converter
  await assert.rejects(llm.chat(ask, { schema: z.object({ when: z.date() }), maxTokens: 10 }).result, /cannot be turned into JSON Schema/);
});

test("rewrites: anyOf as oneOf, a reference to the root through $defs; refs elsewhere refused", () => {
  const Tree = z.object({
    name: z.string(),
    get kids() {
      return z.array(Tree);
    },
  });
  const g = grammarJsonSchema(Tree["~standard"].jsonSchema.input({ target: "draft-2020-12" })) as Record<string, any>;
  assert.equal(g.$ref, "#/$defs/__root");
  assert.equal(g.$defs.__root.properties.kids.items.$ref, "#/$defs/__root");
  assert.deepEqual(grammarJsonSchema({ anyOf: [{ type: "string" }, { type: "null" }] }), { oneOf: [{ type: "string" }, { type: "null" }] });
  assert.throws(
    () => grammarJsonSchema({ type: "object", properties: { a: { $ref: "#/properties/b" } } }),
    /at #\/properties\/a\/\$ref refers to "#\/properties\/b"/,
  );
});

test("an answer that fails validation rejects with a StructuredOutputError carrying the raw text", async () => {
  const Never = z.object({
    word: z
      .string()
      .max(8)
      .refine(() => false, "never good enough"),
  });
  const s = llm.chat(ask, { schema: Never, temperature: 0, maxTokens: 60 });
  await assert.rejects(s.result, (e: unknown) => {
    assert.ok(e instanceof StructuredOutputError, String(e));
    assert.equal(e.code, "bad_output");
    assert.equal(typeof JSON.parse(e.text).word, "string");
    assert.deepEqual(e.issues, ["word: never good enough"]);
    return true;
  });
  // cut at the token limit: not JSON, and the message says why
  await assert.rejects(llm.chat(ask, { schema: Person, temperature: 0, maxTokens: 3 }).result, (e: unknown) => {
    assert.ok(e instanceof StructuredOutputError);
    assert.ok(e.text.length > 0 && e.text.startsWith("{"), e.text);
    assert.match(e.message, /not valid JSON \(generation stopped at the token limit\)/);
    return true;
  });
});

const weather = tool({
  name: "get_weather",
  description: "Current weather for a city",
  parameters: z.object({ unit: z.enum(["celsius", "fahrenheit"]), days: z.int().min(1).max(3) }),
  execute: ({ unit, days }) => ({ unit, days, forecast: Array.from({ length: days }, () => "sunny") }),
});

test("a tool loop runs two steps: a forced call, executed, then the answer", async () => {
  const r = await llm.runTools(ask, {
    tools: [weather],
    toolChoice: (step) => (step === 0 ? { name: "get_weather" } : "none"),
    temperature: 0,
    maxTokens: 60,
  });
  assert.equal(r.steps.length, 2);
  const [first, second] = r.steps;
  assert.equal(first.result.finishReason, "tool_calls");
  assert.equal(first.toolResults.length, 1);
  const done = first.toolResults[0];
  assert.equal(done.call.name, "get_weather");
  if (done.error === undefined) {
    const args = done.args as { unit: string; days: number };
    assert.deepEqual(done.output, { unit: args.unit, days: args.days, forecast: Array(args.days).fill("sunny") });
  } else {
    assert.match(done.error, /invalid arguments/); // days out of 1..3: the grammar cannot bound integers
  }
  assert.equal(second.toolResults.length, 0);
  assert.notEqual(second.result.finishReason, "tool_calls");
  assert.deepEqual(
    r.messages.map((m) => m.role),
    ["user", "assistant", "tool", "assistant"],
  );
  assert.equal(r.messages[2].toolCallId, done.call.id);
  assert.equal(r.text, second.result.text);
  assert.equal(r.totalUsage.completionTokens, first.result.usage.completionTokens + second.result.usage.completionTokens);
  const alone = await llm.chat(ask, { tools: [weather], toolChoice: "none", maxTokens: 1 }).result;
  assert.ok(second.result.usage.promptTokens > alone.usage.promptTokens + 10, "the call and its result went back to the model");
});

test("the loop is bounded by maxSteps even when the model keeps calling", async () => {
  let calls = 0;
  const counting = tool({ name: "tick", parameters: z.object({}), execute: () => ++calls });
  const r = await llm.runTools(ask, {
    tools: [counting],
    toolChoice: "required",
    maxSteps: 3,
    temperature: 0,
    maxTokens: 30,
    parallelToolCalls: false,
  });
  assert.equal(r.steps.length, 3);
  assert.equal(calls, 3);
  assert.equal(r.finishReason, "tool_calls");
  await assert.rejects(llm.runTools(ask, { tools: [counting], maxSteps: 0 }), /maxSteps/);
});
