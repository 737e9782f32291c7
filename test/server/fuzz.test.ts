// A fuzz pass over the JSON endpoints: over a thousand malformed bodies (wrong types, huge values,
// bad JSON, unknown fields, odd content types), none of which may get a 5xx or take the server
// down; afterwards the server still answers a normal request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ensureFixture } from "../../fixtures/index.ts";
import { idOf, startServer, useTempHome, type TestServer } from "./helpers.ts";
import { prng, WEIRD } from "./fuzzing.ts";

useTempHome();
let server: TestServer;
let tiny: string;
let embed: string;

before(async () => {
  const t = await ensureFixture("tiny");
  const e = await ensureFixture("embed");
  tiny = idOf(t);
  embed = idOf(e);
  server = await startServer({ models: [t, e], parallel: 2, queueLimit: 64, bodyLimitBytes: 1024 * 1024 });
});

after(async () => {
  await server?.close();
});

type Body = Record<string, unknown>;

function bases(): { route: string; body: Body }[] {
  return [
    { route: "/v1/chat/completions", body: { model: tiny, messages: [{ role: "user", content: "hi" }], max_tokens: 1 } },
    { route: "/v1/completions", body: { model: tiny, prompt: "hi", max_tokens: 1 } },
    { route: "/v1/embeddings", body: { model: embed, input: "hi" } },
    { route: "/v1/rerank", body: { model: embed, query: "q", documents: ["a", "b"] } },
  ];
}

const FIELDS: Record<string, string[]> = {
  "/v1/chat/completions": [
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "repetition_penalty",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "stop",
    "logit_bias",
    "ignore_eos",
    "n",
    "stream",
    "stream_options",
    "response_format",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "grammar",
    "logprobs",
  ],
  "/v1/completions": [
    "model",
    "prompt",
    "max_tokens",
    "temperature",
    "stop",
    "echo",
    "suffix",
    "best_of",
    "stream",
    "logit_bias",
    "ignore_eos",
    "seed",
    "n",
  ],
  "/v1/embeddings": ["model", "input", "encoding_format", "dimensions"],
  "/v1/rerank": ["model", "query", "documents", "top_n", "return_documents"],
};

/** One malformed request: [route, body text, content type]. */
function mutate(rnd: () => number, i: number): { route: string; text: string; type: string } {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const { route, body } = pick(bases());
  const b: Body = structuredClone(body);
  const kind = i % 10;
  if (kind <= 3) {
    // wrong type or absurd value in a known field
    b[pick(FIELDS[route])] = pick(WEIRD);
  } else if (kind === 4) {
    // several fields at once, some deleted
    for (let k = 0; k < 3; k++) {
      const f = pick(FIELDS[route]);
      if (rnd() < 0.3) delete b[f];
      else b[f] = pick(WEIRD);
    }
  } else if (kind === 5) {
    // nested garbage inside messages / tools
    b.messages = [
      pick([
        { role: "user" },
        { role: "tool", content: "x" },
        { role: "assistant", tool_calls: [{ id: 1 }] },
        {
          role: "user",
          content: [{ type: "image_url", image_url: { url: pick(["data:image/png;base64,AAAA", "file:///etc/passwd", "data:", 5]) } }],
        },
        { role: "user", content: [{ type: "input_audio", input_audio: { data: "!!!", format: "wav" } }] },
      ]),
    ];
    b.tools = pick([
      [{ type: "function" }],
      [{ type: "function", function: { name: "bad name!" } }],
      "tools",
      [{ type: "function", function: { name: "f", parameters: { type: "nope" } } }],
    ]);
  } else if (kind === 6) {
    // unknown fields (ignored) next to a broken known one
    b[`x_${Math.floor(rnd() * 1e6)}`] = pick(WEIRD);
    b[pick(FIELDS[route])] = pick(WEIRD);
  } else if (kind === 7) {
    // bad JSON text
    const good = JSON.stringify(b);
    const cut = Math.floor(rnd() * good.length);
    return {
      route,
      text: pick([good.slice(0, cut), good + "}", "{" + good, good.replace(/"/, "'"), "\u0000", "[]", "null", "12", '"str"', ""]),
      type: "application/json",
    };
  } else if (kind === 8) {
    // the wrong content type
    return {
      route,
      text: JSON.stringify(b),
      type: pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"]),
    };
  } else {
    // the body is not an object
    return { route, text: JSON.stringify(pick([[b], "body", 42, null, true])), type: "application/json" };
  }
  return { route, text: JSON.stringify(b), type: "application/json" };
}

test("1,200 malformed bodies: every one a 4xx in OpenAI's shape (or a normal answer), never a 5xx", async () => {
  const rnd = prng(20261125);
  const N = 1200;
  const cases = Array.from({ length: N }, (_, i) => mutate(rnd, i));
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const res = await fetch(`${server.base}${c.route}`, { method: "POST", headers: { "content-type": c.type }, body: c.text });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`${res.status} ${c.route} ${c.text.slice(0, 200)} -> ${text.slice(0, 300)}`);
      else if (res.status >= 400) {
        let shaped = false;
        try {
          const j = JSON.parse(text);
          shaped = typeof j.error?.message === "string" && typeof j.error?.type === "string" && "param" in j.error && "code" in j.error;
        } catch {}
        if (!shaped) failures.push(`unshaped ${res.status} ${c.route}: ${text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  assert.deepEqual(failures, [], failures.slice(0, 5).join("\n"));
  if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify([...statuses]));
  const bad = [...statuses.entries()].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0);
  assert.ok(bad > N * 0.8, `only ${bad} of ${N} were refused: ${JSON.stringify([...statuses])}`);

  // still alive and answering
  const health = await (await fetch(`${server.base}/health`)).json();
  assert.equal(health.status, "ready");
  const r = await server.client.chat.completions.create({
    model: tiny,
    messages: [{ role: "user", content: "still there?" }],
    max_tokens: 3,
  });
  assert.equal(r.choices.length, 1);
  const e = await server.client.embeddings.create({ model: embed, input: "still there?", encoding_format: "float" });
  assert.equal(e.data[0].embedding.length, 64);
});
