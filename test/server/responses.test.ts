// The official openai client's Responses API, unchanged, against a real hearth server: plain and
// streamed responses, a forced function call streamed in fragments, a function_call_output round
// trip, json_schema output, and the clear 400 for previous_response_id (nothing is stored).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { ensureFixture } from "../../fixtures/index.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let server: TestServer;
let tiny: string;
let tools: string;

before(async () => {
  const tinyFile = await ensureFixture("tiny");
  const toolsFile = await ensureFixture("tools");
  tiny = idOf(tinyFile);
  tools = idOf(toolsFile);
  server = await startServer({ models: [tinyFile, toolsFile] });
});

after(async () => {
  await server?.close();
});

const weather: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "current weather in a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string", enum: ["Paris", "Oslo"] } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
};

test("responses.create: one message item, output_text, usage; incomplete at max_output_tokens", async () => {
  const r = await server.client.responses.create({
    model: tiny,
    input: "Say hi",
    instructions: "be brief",
    max_output_tokens: 5,
    temperature: 0,
  });
  assert.match(r.id, /^resp_/);
  assert.equal(r.object, "response");
  assert.equal(r.model, tiny);
  const messages = r.output.filter((o) => o.type === "message");
  assert.equal(messages.length, 1);
  assert.equal(typeof r.output_text, "string");
  assert.ok(r.usage && r.usage.input_tokens > 0 && r.usage.output_tokens > 0 && r.usage.output_tokens <= 5);
  assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
  if (r.usage.output_tokens === 5) {
    assert.equal(r.status, "incomplete");
    assert.equal(r.incomplete_details?.reason, "max_output_tokens");
  } else assert.equal(r.status, "completed");
});

test("streamed: the documented event sequence, deltas that add up to the unstreamed text", async () => {
  const params = { model: tiny, input: [{ role: "user" as const, content: "Tell me a story" }], max_output_tokens: 8, temperature: 0 };
  const stream = await server.client.responses.create({ ...params, stream: true });
  const types: string[] = [];
  let text = "";
  let final: OpenAI.Responses.Response | undefined;
  let seq = -1;
  for await (const e of stream) {
    types.push(e.type);
    assert.equal(e.sequence_number, seq + 1);
    seq = e.sequence_number;
    if (e.type === "response.output_text.delta") text += e.delta;
    if (e.type === "response.completed" || e.type === "response.incomplete") final = e.response;
  }
  assert.equal(types[0], "response.created");
  assert.ok(types.indexOf("response.output_item.added") < types.indexOf("response.output_text.delta"));
  assert.ok(types.indexOf("response.output_text.delta") < types.indexOf("response.output_item.done"));
  assert.ok(["response.completed", "response.incomplete"].includes(types[types.length - 1]));
  assert.ok(final?.usage && final.usage.output_tokens > 0);
  const whole = await server.client.responses.create(params);
  assert.equal(text, whole.output_text);
  // the SDK's own stream helper accumulates the same events into the same text
  const helper = server.client.responses.stream(params);
  assert.equal((await helper.finalResponse()).output_text, text);
});

test("a forced function call streams its arguments in fragments; function_call_output round trip", async () => {
  const stream = await server.client.responses.create({
    model: tools,
    input: "What is the weather in Paris?",
    tools: [weather],
    tool_choice: { type: "function", name: "get_weather" },
    max_output_tokens: 80,
    temperature: 0,
    stream: true,
  });
  const fragments: string[] = [];
  let done: OpenAI.Responses.Response | undefined;
  for await (const e of stream) {
    if (e.type === "response.function_call_arguments.delta" && e.output_index === 0) fragments.push(e.delta);
    if (e.type === "response.completed") done = e.response;
  }
  assert.ok(done, "completed");
  const call = done.output[0];
  assert.ok(call.type === "function_call", JSON.stringify(call));
  assert.equal(call.name, "get_weather");
  assert.ok(call.call_id.length > 0);
  assert.ok(["Paris", "Oslo"].includes(JSON.parse(call.arguments).city));
  assert.ok(fragments.length >= 3, `arguments came in ${fragments.length} fragment(s)`);
  assert.equal(fragments.join(""), call.arguments);

  const plain = await server.client.responses.create({ model: tools, input: "What is the weather in Paris?", max_output_tokens: 1 });
  const final = await server.client.responses.create({
    model: tools,
    tools: [weather],
    tool_choice: "none",
    max_output_tokens: 8,
    temperature: 0,
    input: [
      { role: "user", content: "What is the weather in Paris?" },
      { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: "function_call_output", call_id: call.call_id, output: JSON.stringify({ temperature: 21, sky: "clear" }) },
    ],
  });
  assert.ok(final.output.every((o) => o.type !== "function_call"));
  // the call and its output are in the prompt
  assert.ok(final.usage!.input_tokens > plain.usage!.input_tokens + 10, `${final.usage!.input_tokens} vs ${plain.usage!.input_tokens}`);
  const required = await server.client.responses.create({
    model: tools,
    input: "weather?",
    tools: [weather],
    tool_choice: "required",
    max_output_tokens: 80,
    temperature: 0,
  });
  assert.ok(required.output.some((o) => o.type === "function_call"));
});

test("text.format json_schema: the output parses and follows the schema", async () => {
  const schema = {
    type: "object",
    properties: { ok: { type: "boolean" }, tag: { type: "string", enum: ["a", "b"] } },
    required: ["ok", "tag"],
    additionalProperties: false,
  };
  const r = await server.client.responses.create({
    model: tiny,
    input: "answer in JSON",
    max_output_tokens: 60,
    temperature: 0,
    text: { format: { type: "json_schema", name: "answer", schema, strict: true } },
  });
  const value = JSON.parse(r.output_text);
  assert.equal(typeof value.ok, "boolean");
  assert.ok(["a", "b"].includes(value.tag));
});

test("previous_response_id is refused with a clear 400; malformed items name the field", async () => {
  await assert.rejects(
    server.client.responses.create({ model: tiny, input: "x", previous_response_id: "resp_123" }),
    (e: unknown) =>
      e instanceof OpenAI.BadRequestError && (e.error as any).param === "previous_response_id" && /does not keep/.test(e.message),
  );
  const r = await postJson(server.base, "/v1/responses", { model: tiny, input: [{ type: "function_call", name: "f" }] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.type, "invalid_request_error");
  const web = await postJson(server.base, "/v1/responses", { model: tiny, input: "x", tools: [{ type: "web_search" }] });
  assert.equal(web.status, 400);
  assert.equal(web.json.error.param, "tools[0].type");
});
