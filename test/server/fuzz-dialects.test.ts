// A fuzz pass over the routes of the other dialects (Responses, Anthropic Messages, Ollama's API,
// llama-server's utility routes): 300 malformed bodies to each route (wrong types, absurd values,
// nested garbage, bad JSON, wrong content types, bodies that are not objects). Each must be a 4xx
// in that dialect's error shape (or a normal answer), never a 5xx; afterwards every dialect answers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ensureFixture } from "../../fixtures/index.ts";
import { idOf, postJson, startServer, useTempHome, type TestServer } from "./helpers.ts";
import { prng, WEIRD } from "./fuzzing.ts";

useTempHome();
// a pull must never reach the network: nothing listens there
process.env.HF_ENDPOINT = "http://127.0.0.1:9";
let server: TestServer;
let tiny: string;
let embed: string;
const PER_ROUTE = 300;

before(async () => {
  const t = await ensureFixture("tiny");
  const e = await ensureFixture("embed");
  tiny = idOf(t);
  embed = idOf(e);
  // a small context: a body that drops its token limit generates until it is full
  server = await startServer({
    models: [t, e],
    parallel: 2,
    queueLimit: 64,
    bodyLimitBytes: 1024 * 1024,
    load: { threads: 1, contextSize: 256 },
  });
});

after(async () => {
  await server?.close();
});

type Body = Record<string, unknown>;
type Shape = "openai" | "anthropic" | "ollama";

interface Route {
  method: "POST" | "DELETE";
  path: string;
  shape: Shape;
  body: () => Body;
  fields: string[];
  /** nested garbage where the route takes structures */
  nested: Body[];
}

const garbageImage = ["data:image/png;base64,AAAA", "!!!", "", 5, "file:///etc/passwd"];

function routes(): Route[] {
  const user = (content: unknown) => [{ role: "user", content }];
  return [
    {
      method: "POST",
      path: "/v1/responses",
      shape: "openai",
      body: () => ({ model: tiny, input: "hi", max_output_tokens: 1 }),
      fields: [
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "text",
        "max_output_tokens",
        "temperature",
        "top_p",
        "reasoning",
        "stream",
        "previous_response_id",
        "store",
        "parallel_tool_calls",
      ],
      nested: [
        { input: [{ type: "function_call", name: "f" }] },
        { input: [{ type: "function_call_output", call_id: "x" }] },
        { input: [{ role: "user" }] },
        { input: [{ role: "user", content: [{ type: "input_image", image_url: garbageImage[0] }] }] },
        { input: [{ type: "item_reference", id: "x" }] },
        { tools: [{ type: "function" }] },
        { tools: [{ type: "function", name: "bad name!" }] },
        { text: { format: { type: "json_schema" } } },
        { tool_choice: { type: "function", name: "nope" } },
        { input: [{ role: "tool", content: "x" }] },
        { input: [{ type: "function_call_output", call_id: "c", output: "x" }] },
      ],
    },
    {
      method: "POST",
      path: "/v1/messages",
      shape: "anthropic",
      body: () => ({ model: tiny, max_tokens: 1, messages: user("hi") }),
      fields: [
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "stop_sequences",
        "temperature",
        "top_p",
        "top_k",
        "thinking",
        "stream",
        "metadata",
      ],
      nested: [
        { messages: user([{ type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } }]) },
        { messages: user([{ type: "image", source: { type: "url", url: "http://127.0.0.1:9/x.png" } }]) },
        { messages: user([{ type: "tool_result", tool_use_id: "nope", content: "x" }]) },
        { messages: user([{ type: "document" }]) },
        { messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }] },
        { messages: user([]) },
        { tools: [{ name: "f", type: "web_search_20250305" }] },
        { tool_choice: { type: "tool", name: "nope" } },
        { tool_choice: { type: "any" } },
        { system: [{ type: "image" }] },
        { messages: [{ role: "system", content: "x" }] },
      ],
    },
    {
      method: "POST",
      path: "/v1/messages/count_tokens",
      shape: "anthropic",
      body: () => ({ model: tiny, messages: user("hi") }),
      fields: ["model", "messages", "system", "tools", "tool_choice", "thinking"],
      nested: [
        { messages: user([{ type: "tool_result", tool_use_id: "nope", content: [{ type: "image" }] }]) },
        { messages: user([]) },
        { tools: [{ name: "" }] },
      ],
    },
    {
      method: "POST",
      path: "/api/chat",
      shape: "ollama",
      body: () => ({ model: tiny, messages: user("hi"), stream: false, options: { num_predict: 1 } }),
      fields: ["model", "messages", "tools", "format", "options", "stream", "think", "keep_alive"],
      nested: [
        { messages: [{ role: "user", content: "x", images: garbageImage }] },
        { messages: [{ role: "tool", content: "x" }] },
        { messages: [{ role: "assistant", tool_calls: [{ function: { name: "f", arguments: "not json" } }] }] },
        { options: { num_predict: "many" } },
        { options: { temperature: -1 } },
        { options: { stop: "x" } },
        { format: "yaml" },
        { tools: [{ type: "function", function: {} }] },
        { messages: [{ role: "user", content: "x", images: ["AAAA"] }] },
      ],
    },
    {
      method: "POST",
      path: "/api/generate",
      shape: "ollama",
      body: () => ({ model: tiny, prompt: "hi", stream: false, options: { num_predict: 1 } }),
      fields: [
        "model",
        "prompt",
        "suffix",
        "system",
        "template",
        "raw",
        "images",
        "format",
        "options",
        "stream",
        "think",
        "context",
        "keep_alive",
      ],
      nested: [
        { images: garbageImage },
        { raw: true, images: ["AAAA"] },
        { context: [1, 2, 3] },
        { suffix: "x" },
        { template: "{{ .Prompt }}" },
        { options: { seed: "x" } },
      ],
    },
    {
      method: "POST",
      path: "/api/embed",
      shape: "ollama",
      body: () => ({ model: embed, input: "hi" }),
      fields: ["model", "input", "truncate", "dimensions", "options", "keep_alive"],
      nested: [{ input: [""] }, { input: [1, 2] }, { dimensions: 100000 }, { model: tiny }],
    },
    {
      method: "POST",
      path: "/api/embeddings",
      shape: "ollama",
      body: () => ({ model: embed, prompt: "hi" }),
      fields: ["model", "prompt", "options"],
      nested: [{ prompt: "" }, { model: "nobody:latest" }],
    },
    {
      method: "POST",
      path: "/api/show",
      shape: "ollama",
      body: () => ({ model: tiny }),
      fields: ["model", "name", "verbose"],
      nested: [{ model: "../../etc/passwd" }, { model: "/etc/passwd.gguf" }],
    },
    {
      method: "POST",
      path: "/api/pull",
      shape: "ollama",
      body: () => ({ model: "hearth-test/tiny-GGUF" }),
      fields: ["model", "name", "stream", "insecure"],
      nested: [{ model: "../x" }],
    },
    {
      method: "DELETE",
      path: "/api/delete",
      shape: "ollama",
      body: () => ({ model: "hearth-test/tiny-GGUF" }),
      fields: ["model", "name"],
      nested: [{ model: "../x" }],
    },
    {
      method: "POST",
      path: "/tokenize",
      shape: "openai",
      body: () => ({ content: "hi", model: tiny }),
      fields: ["content", "add_special", "with_pieces", "model"],
      nested: [{ model: embed }, { model: "nobody" }],
    },
    {
      method: "POST",
      path: "/detokenize",
      shape: "openai",
      body: () => ({ tokens: [1, 2], model: tiny }),
      fields: ["tokens", "model"],
      nested: [{ tokens: [-1] }, { tokens: [1e9] }, { tokens: [1.5] }],
    },
    {
      method: "POST",
      path: "/apply-template",
      shape: "openai",
      body: () => ({ messages: user("hi"), model: tiny }),
      fields: ["messages", "tools", "model"],
      nested: [
        { messages: [{ role: "tool", content: "x" }] },
        { messages: user([{ type: "image_url", image_url: { url: "file:///etc/passwd" } }]) },
        { tools: [{ type: "function", function: { name: "bad name!" } }] },
      ],
    },
  ];
}

function mutate(rnd: () => number, i: number, r: Route): { text: string; type: string } {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const b: Body = r.body();
  const kind = i % 10;
  if (kind <= 3) b[pick(r.fields)] = pick(WEIRD);
  else if (kind === 4) {
    for (let k = 0; k < 3; k++) {
      const f = pick(r.fields);
      if (rnd() < 0.3) delete b[f];
      else b[f] = pick(WEIRD);
    }
  } else if (kind === 5) Object.assign(b, structuredClone(pick(r.nested)));
  else if (kind === 6) {
    b[`x_${Math.floor(rnd() * 1e6)}`] = pick(WEIRD);
    b[pick(r.fields)] = pick(WEIRD);
  } else if (kind === 7) {
    const good = JSON.stringify(b);
    const cut = Math.floor(rnd() * good.length);
    return {
      text: pick([good.slice(0, cut), good + "}", "{" + good, good.replace(/"/, "'"), "\u0000", "[]", "null", "12", '"str"', ""]),
      type: "application/json",
    };
  } else if (kind === 8) {
    return {
      text: JSON.stringify(b),
      type: pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"]),
    };
  } else {
    return { text: JSON.stringify(pick([[b], "body", 42, null, true])), type: "application/json" };
  }
  return { text: JSON.stringify(b), type: "application/json" };
}

function shaped(shape: Shape, j: any): boolean {
  if (shape === "openai")
    return typeof j?.error?.message === "string" && typeof j.error.type === "string" && "param" in j.error && "code" in j.error;
  if (shape === "anthropic") return j?.type === "error" && typeof j.error?.type === "string" && typeof j.error.message === "string";
  return typeof j?.error === "string" && j.error.length > 0;
}

test(`${PER_ROUTE} malformed bodies to each route of each dialect: a 4xx in the dialect's shape, never a 5xx`, async () => {
  const rnd = prng(20261203);
  const cases = routes().flatMap((r) => Array.from({ length: PER_ROUTE }, (_, i) => ({ r, ...mutate(rnd, i, r) })));
  const refused = new Map<string, number>();
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const res = await fetch(`${server.base}${c.r.path}`, { method: c.r.method, headers: { "content-type": c.type }, body: c.text });
      const text = await res.text();
      if (res.status >= 500) failures.push(`${res.status} ${c.r.path} ${c.text.slice(0, 200)} -> ${text.slice(0, 300)}`);
      else if (res.status >= 400) {
        refused.set(c.r.path, (refused.get(c.r.path) ?? 0) + 1);
        let j: unknown;
        try {
          j = JSON.parse(text);
        } catch {}
        if (!shaped(c.r.shape, j)) failures.push(`unshaped ${res.status} ${c.r.path} (${c.r.shape}): ${text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  assert.deepEqual(failures, [], failures.slice(0, 5).join("\n"));
  for (const r of routes()) {
    const n = refused.get(r.path) ?? 0;
    assert.ok(n > PER_ROUTE * 0.6, `${r.path}: only ${n} of ${PER_ROUTE} were refused`);
  }

  // still alive, and every dialect answers
  assert.equal((await (await fetch(`${server.base}/health`)).json()).status, "ready");
  const resp = await postJson(server.base, "/v1/responses", { model: tiny, input: "still there?", max_output_tokens: 2 });
  assert.equal(resp.json.object, "response", resp.text);
  const msg = await postJson(server.base, "/v1/messages", {
    model: tiny,
    max_tokens: 2,
    messages: [{ role: "user", content: "still there?" }],
  });
  assert.equal(msg.json.type, "message", msg.text);
  const chat = await postJson(server.base, "/api/chat", {
    model: tiny,
    stream: false,
    messages: [{ role: "user", content: "still there?" }],
    options: { num_predict: 2 },
  });
  assert.equal(chat.json.done, true, chat.text);
  const tok = await postJson(server.base, "/tokenize", { content: "still there?" });
  assert.ok(tok.json.tokens.length > 0, tok.text);
});
