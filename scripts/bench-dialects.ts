// npm run bench:dialects -- [--model bench] [--gen 128] [--reps 5] [--threads N] [--json]
//
// Each API dialect streamed against chat completions on the same server, same greedy chat: OpenAI
// Responses, Anthropic Messages, Ollama's /api/chat (NDJSON). Runs alternate dialects per rep, each
// rep's prompt prefilled once first so no dialect pays it. Goal: decode within 3% of chat
// completions, TTFT within 5 ms. Times from the client: TTFT = first text chunk - request start;
// decode tok/s = (tokens - 1) / (last chunk - first chunk).
import { parseArgs } from "node:util";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildServer } from "../src/server/app.ts";
import { physicalCores } from "../src/devices/cpuCores.ts";
import { decodeSpeed, median, PROMPTS, type Run } from "./streamRuns.ts";
import { ensureFixture, type PresetName } from "../fixtures/index.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "bench" },
    gen: { type: "string", default: "128" },
    reps: { type: "string", default: "5" },
    threads: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const gen = Number(values.gen);
const reps = Number(values.reps);
const threads = Number(values.threads ?? physicalCores());
const log = (s: string) => {
  if (!values.json) process.stderr.write(`${s}\n`);
};
process.env.HEARTH_HOME ??= mkdtempSync(path.join(os.tmpdir(), "hearth-bench-dialects-"));

const modelFile = await ensureFixture(values.model as PresetName);
const contextSize = 1024;

const app = await buildServer({
  models: [modelFile],
  parallel: 1,
  queueLimit: 16,
  load: { threads, contextSize, backend: "llama", device: "cpu" },
});
const base = await app.listen({ host: "127.0.0.1", port: 0 });
await app.hearth.ready;
if (app.hearth.manager.health() !== "ready")
  throw new Error(`the server did not load ${values.model}: ${JSON.stringify(app.hearth.manager.preloadErrors())}`);
const modelId = app.hearth.manager.configuredNames()[0].id;

// --- the dialects against chat completions, on the same server --------------------------------------
type Dialect = "chat" | "responses" | "messages" | "ollama";
const DIALECTS: Dialect[] = ["chat", "responses", "messages", "ollama"];
const chatMessages = (prompt: string) => [{ role: "user", content: prompt }];

function dialectRequest(d: Dialect, prompt: string): { path: string; body: unknown } {
  if (d === "chat") {
    return {
      path: "/v1/chat/completions",
      body: {
        model: modelId,
        messages: chatMessages(prompt),
        max_tokens: gen,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      },
    };
  }
  if (d === "responses")
    return {
      path: "/v1/responses",
      body: { model: modelId, input: chatMessages(prompt), max_output_tokens: gen, temperature: 0, stream: true },
    };
  if (d === "messages")
    return {
      path: "/v1/messages",
      body: { model: modelId, messages: chatMessages(prompt), max_tokens: gen, temperature: 0, stream: true },
    };
  return {
    path: "/api/chat",
    body: { model: modelId, messages: chatMessages(prompt), stream: true, options: { num_predict: gen, temperature: 0 } },
  };
}

/** The text and token count a dialect's stream event carries, if any. */
function readEvent(d: Dialect, j: any): { text?: string; tokens?: number } {
  if (d === "chat") return { text: j.choices?.[0]?.delta?.content || undefined, tokens: j.usage?.completion_tokens };
  if (d === "responses")
    return { text: j.type === "response.output_text.delta" ? j.delta : undefined, tokens: j.response?.usage?.output_tokens };
  if (d === "messages")
    return {
      text: j.delta?.type === "text_delta" ? j.delta.text : undefined,
      tokens: j.type === "message_delta" ? j.usage.output_tokens : undefined,
    };
  return { text: j.message?.content || undefined, tokens: j.done ? j.eval_count : undefined };
}

async function dialectRun(d: Dialect, prompt: string): Promise<Run> {
  const { path: route, body } = dialectRequest(d, prompt);
  const t0 = performance.now();
  const res = await fetch(`${base}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${route}: HTTP ${res.status}: ${await res.text()}`);
  let first: number | undefined;
  let last = 0;
  let tokens = 0;
  let buffer = "";
  const decoder = new TextDecoder();
  const sep = d === "ollama" ? "\n" : "\n\n";
  for await (const bytes of res.body!) {
    buffer += decoder.decode(bytes, { stream: true });
    for (;;) {
      const end = buffer.indexOf(sep);
      if (end < 0) break;
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + sep.length);
      const data =
        d === "ollama"
          ? event
          : event
              .split("\n")
              .find((l) => l.startsWith("data: "))
              ?.slice(6);
      if (!data || data === "[DONE]") continue;
      const e = readEvent(d, JSON.parse(data));
      if (e.tokens !== undefined) tokens = e.tokens;
      if (e.text) {
        last = performance.now() - t0;
        first ??= last;
      }
    }
  }
  return { ttftMs: first ?? NaN, firstMs: first ?? NaN, lastMs: last, tokens };
}

const byDialect = new Map<Dialect, Run[]>(DIALECTS.map((d) => [d, []]));
for (const d of DIALECTS) await dialectRun(d, "warm up");
for (let rep = 0; rep < reps; rep++) {
  const prompt = `${PROMPTS[rep % PROMPTS.length]} dialect ${rep}`;
  // the prompt's prefill is done once before the rep (one token), so no dialect pays it and every
  // one reuses the same cached prefix: TTFT then differs by what each dialect costs
  await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: modelId, messages: chatMessages(prompt), max_tokens: 1, temperature: 0 }),
  }).then((r) => r.text());
  // a different dialect goes first each rep, so drift on a shared machine falls on all alike
  const order = DIALECTS.map((_, i) => DIALECTS[(i + rep) % DIALECTS.length]);
  const line: string[] = [];
  for (const d of order) {
    const r = await dialectRun(d, prompt);
    byDialect.get(d)!.push(r);
    line.push(`${d} ${decodeSpeed(r).toFixed(1)} tok/s TTFT ${r.ttftMs.toFixed(1)} ms (${r.tokens} tok)`);
  }
  log(`rep ${rep + 1}/${reps}: ${line.join(" | ")}`);
}
await app.close();

const chatBase = { decode: median(byDialect.get("chat")!.map(decodeSpeed)), ttft: median(byDialect.get("chat")!.map((r) => r.ttftMs)) };
const dialects = Object.fromEntries(
  DIALECTS.map((d) => {
    const runs = byDialect.get(d)!;
    const decode = median(runs.map(decodeSpeed));
    const ttft = median(runs.map((r) => r.ttftMs));
    return [
      d,
      {
        decodeTokPerSec: decode,
        ttftMs: ttft,
        decodeRatio: decode / chatBase.decode,
        ttftDiffMs: ttft - chatBase.ttft,
        tokens: median(runs.map((r) => r.tokens)),
      },
    ];
  }),
) as Record<Dialect, { decodeTokPerSec: number; ttftMs: number; decodeRatio: number; ttftDiffMs: number; tokens: number }>;
const result = { cpu: os.cpus()[0]?.model, model: values.model, threads, gen, reps, dialects };
if (values.json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const ok = (b: boolean) => (b ? "meets goal" : "BELOW GOAL");
  const dialectLines = DIALECTS.filter((d) => d !== "chat").map((d) => {
    const x = dialects[d];
    return `  ${d.padEnd(10)} ${x.decodeTokPerSec.toFixed(1)} tok/s, TTFT ${x.ttftMs.toFixed(1)} ms: decode ${x.decodeRatio.toFixed(3)}x (goal >= 0.97: ${ok(x.decodeRatio >= 0.97)}), TTFT ${x.ttftDiffMs >= 0 ? "+" : ""}${x.ttftDiffMs.toFixed(1)} ms (goal <= +5: ${ok(x.ttftDiffMs <= 5)})`;
  });
  process.stdout.write(
    [
      `dialects against chat completions (${dialects.chat.decodeTokPerSec.toFixed(1)} tok/s, TTFT ${dialects.chat.ttftMs.toFixed(1)} ms), median of ${reps}:`,
      ...dialectLines,
    ].join("\n") + "\n",
  );
}
