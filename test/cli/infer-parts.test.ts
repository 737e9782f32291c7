// The pieces of `hearth infer` that need no model: flag parsing, the keyboard stream (bracketed
// paste, Ctrl-C while busy), the conversation file, prompt splitting, tool files, rendering, history.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { Command } from "commander";
import { HearthError } from "../../src/errors/HearthError.ts";
import { addLoadOptions, addSamplingOptions, generateOptionsFrom, loadOptionsFrom } from "../../src/cli/infer/options.ts";
import { PASTE_END, PASTE_NEWLINE, PASTE_START, TerminalInput, restorePastedNewlines } from "../../src/cli/infer/terminalInput.ts";
import { Conversation } from "../../src/cli/infer/conversation.ts";
import { promptsFromStream } from "../../src/cli/infer/prompts.ts";
import { loadToolFiles, parseToolChoice } from "../../src/cli/infer/toolFiles.ts";
import { AnswerPrinter, profileLine } from "../../src/cli/infer/render.ts";
import { loadHistory, saveHistory } from "../../src/cli/infer/inputHistory.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-infer-parts-"));

function parse(args: string[]) {
  const cmd = new Command("x").exitOverride().configureOutput({ writeErr: () => undefined });
  addLoadOptions(cmd);
  addSamplingOptions(cmd);
  cmd.parse(args, { from: "user" });
  return cmd.opts();
}

test("sampling and load flags become SDK options; unset flags stay unset", () => {
  const f = parse([
    "--temperature",
    "0",
    "--top-p",
    "0.9",
    "--top-k",
    "40",
    "-n",
    "16",
    "--stop",
    "a",
    "--stop",
    "b",
    "--logit-bias",
    "15=-inf",
    "--logit-bias",
    "7=2.5",
    "--ignore-eos",
    "--seed",
    "3",
    "-c",
    "512",
    "-t",
    "2",
    "--gpu-layers",
    "max",
    "--device",
    "cpu",
  ]);
  assert.deepEqual(generateOptionsFrom(f), {
    temperature: 0,
    topP: 0.9,
    topK: 40,
    maxTokens: 16,
    stop: ["a", "b"],
    logitBias: { 15: -Infinity, 7: 2.5 },
    ignoreEos: true,
    seed: 3,
  });
  assert.deepEqual(loadOptionsFrom(f), { contextSize: 512, threads: 2, gpuLayers: "max", device: "cpu", seed: 3 });
  assert.deepEqual(generateOptionsFrom(parse([])), {});
});

test("bad numbers are a bad_input error that names the flag and gives an example", () => {
  for (const [flag, value] of [
    ["--temperature", "abc"],
    ["--temperature", "-1"],
    ["--top-p", "0"],
    ["--top-k", "2.5"],
    ["-n", "0"],
    ["--threads", "x"],
    ["--gpu-layers", "-3"],
    ["--logit-bias", "abc"],
    ["--seed", "4294967296"], // the engines' seeds are 32-bit
    ["--seed", "-1"],
  ]) {
    assert.throws(
      () => parse([flag, value]),
      (e: unknown) => e instanceof HearthError && e.code === "bad_input" && e.line.includes(value) && /e\.g\./.test(e.line),
      `${flag} ${value}`,
    );
  }
});

test("--json-schema and --grammar are read and checked before any model loads", () => {
  const schema = path.join(dir, "s.json");
  writeFileSync(schema, '{"type":"object"}');
  assert.deepEqual(generateOptionsFrom({ jsonSchema: schema }).constraint, { type: "json_schema", schema: { type: "object" } });
  const gbnf = path.join(dir, "g.gbnf");
  writeFileSync(gbnf, 'root ::= "yes" | "no"');
  assert.deepEqual(generateOptionsFrom({ grammar: gbnf }).constraint, { type: "grammar", grammar: 'root ::= "yes" | "no"' });
  writeFileSync(path.join(dir, "bad.json"), "{nope");
  assert.throws(() => generateOptionsFrom({ jsonSchema: path.join(dir, "bad.json") }), /not valid JSON/);
  assert.throws(() => generateOptionsFrom({ jsonSchema: path.join(dir, "missing.json") }), /cannot read .*ENOENT/);
  assert.throws(() => generateOptionsFrom({ grammar: schema }), /no GBNF rule/);
  assert.throws(() => generateOptionsFrom({ grammar: gbnf, jsonSchema: schema }), /cannot be used together/);
});

async function through(input: TerminalInput, chunks: string[]): Promise<string> {
  let out = "";
  input.on("data", (d) => (out += d));
  for (const c of chunks) input.write(c);
  await new Promise((r) => setImmediate(r));
  return out;
}

test("a bracketed paste of several lines arrives as one line, even when the markers are split across reads", async () => {
  const out = await through(new TerminalInput(), ["say ", `${PASTE_START}line one\r\nline`, " two\n\x1b[2", "01~", "\r"]);
  assert.equal(out, `say line one${PASTE_NEWLINE}line two${PASTE_NEWLINE}\r`);
  assert.equal(restorePastedNewlines(out.trimEnd()), "say line one\nline two");
});

test("while an answer streams, keys are swallowed and Ctrl-C interrupts", async () => {
  const input = new TerminalInput();
  let interrupts = 0;
  input.busy = true;
  input.onInterrupt = () => interrupts++;
  assert.equal(await through(input, ["abc", "\x03"]), "");
  assert.equal(interrupts, 1);
  input.busy = false;
  assert.equal(await through(input, ["x\x03"]), "x\x03");
  assert.equal(interrupts, 1);
});

test("a conversation saves and loads as an OpenAI-shaped messages array; a bad file is refused", () => {
  const c = new Conversation("be brief");
  c.addTurn("hi", "hello");
  const file = c.save(path.join(dir, "chat.json"));
  assert.deepEqual(
    JSON.parse(readFileSync(file, "utf8")).messages.map((m: { role: string }) => m.role),
    ["system", "user", "assistant"],
  );
  const d = new Conversation();
  d.load(file);
  assert.deepEqual(d.messages, c.messages);
  assert.equal(d.systemPrompt, "be brief");
  d.clear();
  assert.deepEqual(d.messages, [{ role: "system", content: "be brief" }]);
  writeFileSync(path.join(dir, "notchat.json"), '{"messages":[{"who":"me"}]}');
  assert.throws(() => d.load(path.join(dir, "notchat.json")), /not a saved conversation/);
  assert.throws(() => d.load(path.join(dir, "none.json")), /cannot read a conversation .*ENOENT/);
});

test("prompts from a file or stdin: one per line, blank lines skipped, a trailing backslash continues", async () => {
  const got: string[] = [];
  for await (const p of promptsFromStream(Readable.from(["one\n\n  \ntwo\\\nthree\r\nfour\\"]))) got.push(p);
  assert.deepEqual(got, ["one", "two\nthree", "four"]);
});

test("tool files: OpenAI or bare shape, one or an array; malformed files name the file and the reason", () => {
  const w = (name: string, body: unknown) => {
    const f = path.join(dir, name);
    writeFileSync(f, typeof body === "string" ? body : JSON.stringify(body));
    return f;
  };
  const params = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
  const tools = loadToolFiles([
    w("a.json", { type: "function", function: { name: "get_weather", description: "weather", parameters: params } }),
    w("b.json", [{ name: "get_time" }, { name: "lookup", parameters: params }]),
  ]);
  assert.deepEqual(
    tools.map((t) => t.name),
    ["get_weather", "get_time", "lookup"],
  );
  assert.deepEqual(tools[0].parameters, params);
  assert.deepEqual(parseToolChoice("get_time", tools), { name: "get_time" });
  assert.equal(parseToolChoice(undefined, tools), "auto");
  assert.throws(() => parseToolChoice("nope", tools), /not auto, none, required or a tool's name/);
  assert.throws(() => loadToolFiles([w("c.json", "{oops")]), /c\.json: not valid JSON/);
  assert.throws(() => loadToolFiles([w("d.json", { description: "no name" })]), /d\.json: the tool needs a "name"/);
  assert.throws(() => loadToolFiles([w("e.json", { name: "x", parameters: "string" })]), /"parameters" must be a JSON schema object/);
  assert.throws(() => loadToolFiles([w("f.json", [])]), /holds no tools/);
  assert.throws(() => loadToolFiles([w("g.json", { type: "retrieval" })]), /only "function" tools/);
  assert.throws(() => loadToolFiles([w("h.json", { name: "x" }), w("i.json", { name: "x" })]), /two tools are named "x"/);
});

function sink() {
  let text = "";
  const stream = new Writable({
    write(c, _e, done) {
      text += c;
      done();
    },
  });
  return {
    stream,
    get text() {
      return text;
    },
  };
}

test("reasoning is shown between think tags, or hidden with --hide-think; the answer ends with a newline", () => {
  const shown = sink();
  const p = new AnswerPrinter({ out: shown.stream });
  for (const c of [
    { type: "reasoning", text: "hmm" },
    { type: "text", text: "answer" },
  ] as const)
    p.chunk(c);
  p.end();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes (ESC [ n m)
  assert.equal(shown.text.replace(/\x1b\[\d+m/g, ""), "<think>hmm</think>\nanswer\n");
  const hidden = sink();
  const q = new AnswerPrinter({ out: hidden.stream, hideThink: true });
  for (const c of [
    { type: "reasoning", text: "hmm" },
    { type: "text", text: "answer" },
  ] as const)
    q.chunk(c);
  q.end();
  assert.equal(hidden.text, "answer\n");
});

test("the profile line gives decode speed, tokens and time to first token", () => {
  const line = profileLine({
    finishReason: "length",
    usage: { promptTokens: 5, completionTokens: 8 },
    profile: { decodeTokensPerSec: 123.45, generatedTokens: 8, ttftMs: 12.3, totalMs: 80 },
  });
  assert.equal(line, "123.5 tok/s · 8 tokens · first token 12 ms · stopped at the token limit");
});

test("input history survives a restart, newest first, inputs of several lines intact", () => {
  const file = path.join(dir, "state", "history", "chat.jsonl");
  assert.deepEqual(loadHistory(file), []);
  saveHistory(file, ["second\nline", "first"]);
  assert.deepEqual(loadHistory(file), ["second\nline", "first"]);
});
