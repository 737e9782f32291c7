// The official @anthropic-ai/sdk client, unchanged, against a real hearth server: messages.create,
// messages.stream, a forced tool_use, a tool_result round trip, an image block to a VLM fixture,
// countTokens, the x-api-key header, and errors in Anthropic's shape.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { ensureFixture } from "../../fixtures/index.ts";
import { ensureVlmFixture, imageTokens } from "../../fixtures/mmproj.ts";
import { solidPng } from "../multimodal/images.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let server: TestServer;
let client: Anthropic;
let tools: string;
let vlm: string;
let spec: Awaited<ReturnType<typeof ensureVlmFixture>>["spec"];
const KEY = "sk-test-anthropic";
// this SDK version's types no longer list temperature (newer Claude models refuse it); the API still
// takes it and hearth honours it, so it rides as an extra field for repeatable greedy answers
const GREEDY = { temperature: 0 } as object;

before(async () => {
  const toolsFile = await ensureFixture("tools");
  const fx = await ensureVlmFixture();
  spec = fx.spec;
  tools = idOf(toolsFile);
  vlm = idOf(fx.model);
  // --mmproj pairs with the first model file given
  server = await startServer({ models: [fx.model, toolsFile], mmproj: fx.mmproj, apiKey: KEY, load: { threads: 1, contextSize: 1024 } });
  // the SDK sends the key as x-api-key
  client = new Anthropic({ baseURL: server.base, apiKey: KEY, maxRetries: 0, timeout: 120_000 });
});

after(async () => {
  await server?.close();
});

const weather: Anthropic.Tool = {
  name: "get_weather",
  description: "current weather in a city",
  input_schema: {
    type: "object",
    properties: { city: { type: "string", enum: ["Paris", "Oslo"] } },
    required: ["city"],
    additionalProperties: false,
  },
};

test("messages.create: a message with text, stop_reason and usage", async () => {
  const m = await client.messages.create({
    model: tools,
    max_tokens: 6,
    ...GREEDY,
    system: "be brief",
    messages: [{ role: "user", content: "Say hi" }],
  });
  assert.match(m.id, /^msg_/);
  assert.equal(m.type, "message");
  assert.equal(m.role, "assistant");
  assert.equal(m.model, tools);
  assert.ok(["end_turn", "max_tokens"].includes(m.stop_reason!));
  assert.ok(m.usage.input_tokens > 0);
  assert.ok(m.usage.output_tokens > 0 && m.usage.output_tokens <= 6);
  for (const b of m.content) assert.ok(b.type === "text", `no thinking blocks unless asked: ${b.type}`);
});

test("messages.stream: text deltas add up to the final message, which equals the unstreamed one", async () => {
  const params = { model: tools, max_tokens: 8, ...GREEDY, messages: [{ role: "user" as const, content: "Tell me a story" }] };
  const stream = client.messages.stream(params);
  let deltas = "";
  const kinds: string[] = [];
  stream.on("text", (t) => (deltas += t));
  stream.on("streamEvent", (e) => kinds.push(e.type));
  const final = await stream.finalMessage();
  assert.equal(kinds[0], "message_start");
  assert.equal(kinds[kinds.length - 1], "message_stop");
  assert.ok(kinds.includes("message_delta"));
  const text = final.content
    .filter((b) => b.type === "text")
    .map((b) => (b as Anthropic.TextBlock).text)
    .join("");
  assert.equal(deltas, text);
  assert.ok(final.usage.input_tokens > 0 && final.usage.output_tokens > 0);
  const whole = await client.messages.create(params);
  assert.equal(
    whole.content
      .filter((b) => b.type === "text")
      .map((b) => (b as Anthropic.TextBlock).text)
      .join(""),
    text,
  );
});

test("forced tool_use streams input_json_delta fragments; a tool_result round trip answers", async () => {
  const stream = client.messages.stream({
    model: tools,
    max_tokens: 80,
    ...GREEDY,
    tools: [weather],
    tool_choice: { type: "tool", name: "get_weather" },
    messages: [{ role: "user", content: "What is the weather in Paris?" }],
  });
  const fragments: string[] = [];
  stream.on("streamEvent", (e) => {
    // the first block's fragments (the model may call the tool more than once)
    if (e.type === "content_block_delta" && e.delta.type === "input_json_delta" && e.index === 0) fragments.push(e.delta.partial_json);
  });
  const first = await stream.finalMessage();
  assert.equal(first.stop_reason, "tool_use");
  const use = first.content[0] as Anthropic.ToolUseBlock;
  assert.equal(use.type, "tool_use");
  assert.ok(use.name === "get_weather" && use.id.length > 0, JSON.stringify(use));
  assert.ok(["Paris", "Oslo"].includes((use.input as { city: string }).city));
  assert.ok(fragments.length >= 3, `input came in ${fragments.length} fragment(s)`);
  assert.equal(JSON.parse(fragments.join("")).city, (use.input as { city: string }).city);

  const final = await client.messages.create({
    model: tools,
    max_tokens: 8,
    ...GREEDY,
    tools: [weather],
    tool_choice: { type: "none" },
    messages: [
      { role: "user", content: "What is the weather in Paris?" },
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: JSON.stringify({ temperature: 21 }) }] },
    ],
  });
  assert.ok(["end_turn", "max_tokens"].includes(final.stop_reason!), `stop_reason ${final.stop_reason}`);
  assert.ok(
    final.content.every((b) => b.type !== "tool_use"),
    "tool_choice none: no tool_use",
  );
  // the call and its result are in the prompt: it is longer than the question alone
  const question = await client.messages.countTokens({
    model: tools,
    messages: [{ role: "user", content: "What is the weather in Paris?" }],
  });
  assert.ok(final.usage.input_tokens > question.input_tokens + 10, `${final.usage.input_tokens} vs ${question.input_tokens}`);
});

test("an image block reaches the VLM: its tokens are in the prompt", async () => {
  const png = await solidPng(96, 64);
  const plain = await client.messages.create({ model: vlm, max_tokens: 3, ...GREEDY, messages: [{ role: "user", content: "describe" }] });
  const withImage = await client.messages.create({
    model: vlm,
    max_tokens: 3,
    ...GREEDY,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "describe" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: png.toString("base64") } },
        ],
      },
    ],
  });
  assert.ok(
    withImage.usage.input_tokens >= plain.usage.input_tokens + imageTokens(spec),
    `${withImage.usage.input_tokens} vs ${plain.usage.input_tokens}`,
  );
  await assert.rejects(
    client.messages.create({
      model: vlm,
      max_tokens: 2,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: "https://example.com/cat.png" } }] }],
    }),
    (e: unknown) => e instanceof Anthropic.BadRequestError && /base64/.test(e.message),
  );
});

test("countTokens matches the prompt the model is given, and grows with tools", async () => {
  const messages = [{ role: "user" as const, content: "What is the weather in Paris?" }];
  const counted = await client.messages.countTokens({ model: tools, messages });
  const ran = await client.messages.create({ model: tools, max_tokens: 1, messages });
  assert.equal(counted.input_tokens, ran.usage.input_tokens);
  const withTools = await client.messages.countTokens({ model: tools, messages, tools: [weather] });
  assert.ok(withTools.input_tokens > counted.input_tokens);
});

test("errors come in Anthropic's shape: missing max_tokens, unknown model, bad key; Bearer works too", async () => {
  const noMax = await postJson(
    server.base,
    "/v1/messages",
    { model: tools, messages: [{ role: "user", content: "x" }] },
    { "x-api-key": KEY },
  );
  assert.equal(noMax.status, 400);
  assert.equal(noMax.json.type, "error");
  assert.equal(noMax.json.error.type, "invalid_request_error");
  assert.match(noMax.json.error.message, /max_tokens/);
  await assert.rejects(
    client.messages.create({ model: "nobody/nothing", max_tokens: 2, messages: [{ role: "user", content: "x" }] }),
    (e: unknown) => e instanceof Anthropic.NotFoundError && (e.error as any)?.error?.type === "not_found_error",
  );
  const wrong = new Anthropic({ baseURL: server.base, apiKey: "wrong", maxRetries: 0 });
  await assert.rejects(
    wrong.messages.create({ model: tools, max_tokens: 2, messages: [{ role: "user", content: "x" }] }),
    (e: unknown) => e instanceof Anthropic.AuthenticationError,
  );
  const bearer = await postJson(
    server.base,
    "/v1/messages",
    { model: tools, max_tokens: 2, messages: [{ role: "user", content: "x" }] },
    { authorization: `Bearer ${KEY}` },
  );
  assert.equal(bearer.status, 200, bearer.text);
  assert.equal(bearer.json.type, "message");
});
