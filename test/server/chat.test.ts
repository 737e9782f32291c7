// The official openai client against a real hearth server: plain and streamed chat, tool calls
// (round trip, required and named), json_schema output, the legacy completions endpoint, and the
// clear errors a client gets for what the server does not do.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { ensureFixture } from "../../fixtures/index.ts";
import { NO_END_LOGIT_BIAS } from "../../fixtures/vocab.ts";
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

const weather = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "current weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", enum: ["Paris", "Oslo"] } },
      required: ["city"],
      additionalProperties: false,
    },
  },
};

test("logit_bias -100 on the end tokens, or ignore_eos, holds the answer to max_tokens, as OpenAI and llama.cpp's server do", async () => {
  // prompts on which the random model ends early at temperature 0 (which ones depends on the CPU's
  // kernels, so they are found first); banned, each one runs to the limit
  const words = "hello world weather paris london tool call answer question json null yes time date model hearth".split(" ");
  const early: string[] = [];
  for (let i = 0; i < 40 && early.length < 3; i++) {
    const content = `${words[i % words.length]} ${words[(i * 7) % words.length]} ${words[(i * 13) % words.length]}`;
    const r = await server.client.chat.completions.create({
      model: tools,
      messages: [{ role: "user", content }],
      max_tokens: 48,
      temperature: 0,
    });
    if (r.choices[0].finish_reason === "stop") early.push(content);
  }
  assert.ok(early.length > 0, "no prompt ended before 48 tokens: nothing to ban");
  for (const content of early) {
    const r = await server.client.chat.completions.create({
      model: tools,
      messages: [{ role: "user", content }],
      max_tokens: 48,
      temperature: 0,
      logit_bias: NO_END_LOGIT_BIAS,
    });
    assert.equal(r.choices[0].finish_reason, "length", content);
    assert.equal(r.usage?.completion_tokens, 48, content);
    // llama.cpp server's ignore_eos does the same (an extension the openai client passes through)
    const ignored = await server.client.chat.completions.create({
      model: tools,
      messages: [{ role: "user", content }],
      max_tokens: 48,
      temperature: 0,
      ignore_eos: true,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    assert.equal(ignored.choices[0].finish_reason, "length", content);
    assert.equal(ignored.choices[0].message.content, r.choices[0].message.content, content);
  }
});

test("plain chat: one choice with text, usage and finish_reason length at max_tokens", async () => {
  // the end tokens banned: the random model answers whichever token it picks first
  const r = await server.client.chat.completions.create({
    model: tiny,
    messages: [{ role: "user", content: "Say hi" }],
    max_tokens: 5,
    temperature: 0,
    logit_bias: NO_END_LOGIT_BIAS,
  });
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, "chat.completion");
  assert.equal(r.model, tiny);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(r.usage && r.usage.prompt_tokens > 0);
  assert.equal(r.usage.completion_tokens, 5);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  assert.equal(r.choices[0].finish_reason, "length");
});

test("greedy decoding with a seed is repeatable, and max_completion_tokens is honoured", async () => {
  const ask = () =>
    server.client.chat.completions.create({
      model: tiny,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "count" },
      ],
      max_completion_tokens: 6,
      temperature: 0,
      seed: 7,
    });
  const [a, b] = [await ask(), await ask()];
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  assert.ok(a.usage!.completion_tokens <= 6);
});

test("stop strings end the answer before them with finish_reason stop", async () => {
  const ask = (stop?: string[]) =>
    server.client.chat.completions.create({
      model: tiny,
      messages: [{ role: "user", content: "list" }],
      max_tokens: 12,
      temperature: 0,
      stop,
    });
  const whole = (await ask()).choices[0].message.content!;
  // a stop string from the middle of the greedy answer (a few plain characters)
  const at = [...whole.matchAll(/[a-z ]{2}/g)].find((m) => m.index! > 0)?.index;
  if (at === undefined) return; // the random model said nothing stoppable: nothing to check
  const stop = whole.slice(at, at + 2);
  const cut = await ask([stop, "never-appears"]);
  // (an incomplete UTF-8 sequence just before the stop, shown as U+FFFD in the whole answer, is dropped)
  assert.equal(cut.choices[0].message.content!.replace(/\uFFFD+$/, ""), whole.slice(0, whole.indexOf(stop)).replace(/\uFFFD+$/, ""));
  assert.equal(cut.choices[0].finish_reason, "stop");
});

test("streamed chat: role first, content deltas, finish_reason, a usage chunk, then [DONE]", async () => {
  const stream = await server.client.chat.completions.create({
    model: tiny,
    messages: [{ role: "user", content: "Tell me a story" }],
    max_tokens: 8,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
    logit_bias: NO_END_LOGIT_BIAS,
  });
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("");
  const finish = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean);
  assert.equal(finish.length, 1);
  assert.ok(["stop", "length"].includes(finish[0]!));
  const last = chunks[chunks.length - 1];
  assert.equal(last.choices.length, 0);
  assert.ok(last.usage && last.usage.completion_tokens > 0);
  assert.ok(new Set(chunks.map((c) => c.id)).size === 1);
  // the same request without streaming gives the same text (greedy)
  const whole = await server.client.chat.completions.create({
    model: tiny,
    messages: [{ role: "user", content: "Tell me a story" }],
    max_tokens: 8,
    temperature: 0,
    logit_bias: NO_END_LOGIT_BIAS,
  });
  assert.equal(text, whole.choices[0].message.content);
});

test("raw SSE ends with data: [DONE] and carries usage: null before the usage chunk", async () => {
  const res = await fetch(`${server.base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: tiny,
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /text\/event-stream/);
  const body = await res.text();
  const events = body.split("\n\n").filter(Boolean);
  assert.equal(events[events.length - 1], "data: [DONE]");
  assert.ok(events.slice(0, -2).every((e) => JSON.parse(e.slice(6)).usage === null));
});

test("two concurrent streams are decoded together (--parallel 2), not one after the other", async () => {
  // a grammar that cannot end before 600 letters keeps each generation going for hundreds of tokens
  const body = { model: tiny, messages: [{ role: "user", content: "go" }], max_tokens: 1000, grammar: "root ::= [a-z]{600}", stream: true };
  const events: string[] = [];
  const run = async (name: string) => {
    const res = await fetch(`${server.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    let first = true;
    for await (const chunk of res.body!) {
      if (first && /"content":"[^"]/.test(new TextDecoder().decode(chunk))) {
        first = false;
        events.push(`${name} first`);
      }
    }
    events.push(`${name} end`);
  };
  await Promise.all([run("a"), run("b")]);
  // both had started producing text before either finished
  assert.ok(events.indexOf("a first") < events.findIndex((e) => e.endsWith("end")), events.join(", "));
  assert.ok(events.indexOf("b first") < events.findIndex((e) => e.endsWith("end")), events.join(", "));
});

test("tool call round trip: required call, tool result, final answer", async () => {
  const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: "user", content: "What is the weather in Paris?" }];
  const first = await server.client.chat.completions.create({
    model: tools,
    messages,
    tools: [weather],
    tool_choice: "required",
    max_tokens: 60,
    temperature: 0,
  });
  const choice = first.choices[0];
  assert.equal(choice.finish_reason, "tool_calls");
  const call = choice.message.tool_calls?.[0];
  assert.ok(call && call.type === "function");
  assert.equal(call.function.name, "get_weather");
  const args = JSON.parse(call.function.arguments);
  assert.ok(["Paris", "Oslo"].includes(args.city));
  assert.ok(call.id.length > 0);

  messages.push(choice.message as OpenAI.Chat.Completions.ChatCompletionMessageParam);
  messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify({ temperature: 21, sky: "clear" }) });
  const final = await server.client.chat.completions.create({
    model: tools,
    messages,
    tools: [weather],
    tool_choice: "none",
    max_tokens: 8,
    temperature: 0,
  });
  assert.ok(["stop", "length"].includes(final.choices[0].finish_reason));
  assert.equal(final.choices[0].message.tool_calls, undefined);
  assert.equal(typeof final.choices[0].message.content, "string");
});

test("streamed tool call by name: deltas carry index, id and name first, then the arguments in fragments", async () => {
  const stream = await server.client.chat.completions.create({
    model: tools,
    messages: [{ role: "user", content: "weather?" }],
    tools: [weather],
    tool_choice: { type: "function", function: { name: "get_weather" } },
    max_tokens: 60,
    temperature: 0,
    stream: true,
  });
  const deltas: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
  let finish: string | null = null;
  for await (const c of stream) {
    for (const ch of c.choices) {
      deltas.push(...(ch.delta.tool_calls ?? []));
      finish = ch.finish_reason ?? finish;
    }
  }
  assert.equal(finish, "tool_calls");
  assert.ok(deltas.length >= 1);
  assert.equal(deltas[0].index, 0);
  assert.equal(deltas[0].function?.name, "get_weather");
  assert.ok(deltas[0].id);
  const fragments = deltas
    .filter((d) => d.index === 0)
    .map((d) => d.function?.arguments ?? "")
    .filter(Boolean);
  // streamed as the model writes them, not as one delta at the end
  assert.ok(fragments.length >= 3, `arguments came in ${fragments.length} fragment(s): ${JSON.stringify(fragments)}`);
  assert.ok(["Paris", "Oslo"].includes(JSON.parse(fragments.join("")).city));
});

test("response_format json_schema: the output parses and follows the schema", async () => {
  const schema = {
    type: "object",
    properties: { ok: { type: "boolean" }, level: { type: "integer", enum: [1, 2, 3] }, tag: { type: "string", enum: ["a", "b"] } },
    required: ["ok", "level", "tag"],
    additionalProperties: false,
  };
  const r = await server.client.chat.completions.create({
    model: tiny,
    messages: [{ role: "user", content: "answer in JSON" }],
    max_tokens: 60,
    temperature: 0,
    response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } },
  });
  const value = JSON.parse(r.choices[0].message.content!);
  assert.deepEqual(Object.keys(value).sort(), ["level", "ok", "tag"]);
  assert.equal(typeof value.ok, "boolean");
  assert.ok([1, 2, 3].includes(value.level));
  assert.ok(["a", "b"].includes(value.tag));
});

test("legacy completions: text choice, echo, and a stream", async () => {
  const r = await server.client.completions.create({ model: tiny, prompt: "Once upon a time", max_tokens: 4, temperature: 0, echo: true });
  assert.equal(r.object, "text_completion");
  assert.ok(r.choices[0].text.startsWith("Once upon a time"));
  const stream = await server.client.completions.create({
    model: tiny,
    prompt: "Once upon a time",
    max_tokens: 4,
    temperature: 0,
    stream: true,
  });
  let text = "";
  for await (const c of stream) text += c.choices[0]?.text ?? "";
  assert.equal("Once upon a time" + text, r.choices[0].text);
  const two = await server.client.completions.create({ model: tiny, prompt: ["a", "b"], max_tokens: 2 });
  assert.deepEqual(
    two.choices.map((c) => c.index),
    [0, 1],
  );
});

test("unknown model: 404 with OpenAI's error shape; a path from a client is not opened", async () => {
  await assert.rejects(
    server.client.chat.completions.create({ model: "nobody/nothing", messages: [{ role: "user", content: "x" }] }),
    (e: unknown) => e instanceof OpenAI.NotFoundError && /not served here/.test(e.message),
  );
  const r = await postJson(server.base, "/v1/chat/completions", { model: "/etc/passwd.gguf", messages: [{ role: "user", content: "x" }] });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, "model_not_found");
  assert.equal(r.json.error.type, "not_found_error");
});

test("what the server does not do is a clear 400 naming the field", async () => {
  await assert.rejects(
    server.client.chat.completions.create({ model: tiny, messages: [{ role: "user", content: "x" }], n: 2 }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && (e.error as any).param === "n",
  );
  const badChoice = await postJson(server.base, "/v1/chat/completions", {
    model: tools,
    messages: [{ role: "user", content: "x" }],
    tools: [weather],
    tool_choice: { type: "function", function: { name: "nope" } },
  });
  assert.equal(badChoice.status, 400);
  assert.equal(badChoice.json.error.param, "tool_choice");
  const zeroDims = await postJson(server.base, "/v1/embeddings", { model: tiny, input: "x", dimensions: 0 });
  assert.equal(zeroDims.status, 400);
  assert.equal(zeroDims.json.error.param, "dimensions");
  const remote = await postJson(server.base, "/v1/chat/completions", {
    model: tiny,
    messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://127.0.0.1:9/x.png" } }] }],
  });
  assert.equal(remote.status, 400, remote.text);
  assert.match(remote.json.error.message, /remote|allow|fetch/i);
});
