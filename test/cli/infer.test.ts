// `hearth infer` without a terminal, through the real CLI in a child process: -p turns, stdin and
// -i prompts, --json lines, greedy determinism, embedding and reranking models, bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { runHearth } from "../helpers/cli.ts";

const env = { HEARTH_HOME: mkdtempSync(path.join(os.tmpdir(), "hearth-infer-")) };
const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-infer-files-"));
const tiny = await ensureFixture("tiny");
const small = ["-t", "1", "-n", "8", "--temperature", "0"];

function jsonLines(stdout: string) {
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

test("-p turns with --json: one line per turn with output and a profile; history carries over", async () => {
  const r = await runHearth(["infer", tiny, "-p", "hello", "-p", "and again", ...small, "--json"], { env });
  assert.equal(r.code, 0, r.stderr);
  const [a, b] = jsonLines(r.stdout);
  assert.equal(a.input, "hello");
  assert.equal(b.input, "and again");
  for (const t of [a, b]) {
    assert.equal(typeof t.output, "string");
    assert.equal(t.error, null);
    // a random model may end early, on one CPU's kernels and not another's: what holds for any answer
    assert.ok(t.finish_reason === "length" || t.finish_reason === "stop", t.finish_reason);
    if (t.finish_reason === "length") assert.equal(t.profile.generatedTokens, 8);
    if (t.profile.generatedTokens > 1) assert.ok(t.profile.decodeTokensPerSec > 0);
    assert.ok(t.profile.ttftMs === undefined || t.profile.ttftMs >= 0);
    assert.deepEqual(t.tool_calls, []);
  }
  // the second turn's prompt holds the first turn too
  assert.ok(b.usage.prompt_tokens > a.usage.prompt_tokens + 8, `${b.usage.prompt_tokens} vs ${a.usage.prompt_tokens}`);
});

test("words after the model are the prompt, after any -p turns (as ollama run takes one)", async () => {
  const r = await runHearth(["infer", tiny, "-p", "first", "why", "is", "the sky blue?", ...small, "-n", "4", "--json"], { env });
  assert.equal(r.code, 0, r.stderr);
  const turns = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { input: string; output: string });
  assert.deepEqual(
    turns.map((t) => t.input),
    ["first", "why is the sky blue?"],
  );
  assert.ok(turns.every((t) => t.output.length > 0));
});

test("greedy output is the same on two runs; plain mode prints the answer on stdout and the speed line on stderr", async () => {
  const one = await runHearth(["infer", tiny, "-p", "the weather in paris", ...small], { env });
  const two = await runHearth(["infer", tiny, "-p", "the weather in paris", ...small], { env });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, two.stdout);
  assert.match(one.stderr, /[\d.]+ tok\/s · \d+ tokens? · first token \d+ ms/);
});

test("prompts on stdin (a pipe) and in -i FILE: one turn per line, a trailing backslash joins lines", async () => {
  const r = await runHearth(["infer", tiny, ...small, "-n", "4", "--json"], { env, input: "first\n\nsecond\\\nline\n" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    jsonLines(r.stdout).map((t) => t.input),
    ["first", "second\nline"],
  );
  const file = path.join(dir, "prompts.txt");
  writeFileSync(file, "alpha\nbeta\n");
  const f = await runHearth(["infer", tiny, ...small, "-n", "4", "--json", "-i", file, "-p", "gamma"], { env });
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(
    jsonLines(f.stdout).map((t) => t.input),
    ["alpha", "beta", "gamma"],
  );
});

test("--json-schema constrains the answer to JSON of that schema", async () => {
  const schema = path.join(dir, "schema.json");
  writeFileSync(schema, JSON.stringify({ type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] }));
  const r = await runHearth(
    ["infer", tiny, "-p", "is it ok?", "-t", "1", "-n", "64", "--temperature", "0", "--json-schema", schema, "--json"],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(jsonLines(r.stdout)[0].output);
  assert.equal(typeof out.ok, "boolean");
});

test("bad flags and a missing model: one error line, non-zero exit, nothing on stdout", async () => {
  const bad = await runHearth(["infer", tiny, "--temperature", "abc", "-p", "hi"], { env });
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  assert.equal(bad.stderr.trim().split("\n").length, 1);
  assert.match(bad.stderr, /--temperature must be a number .*"abc"/);
  const unknown = await runHearth(["infer", tiny, "--frobnicate"], { env });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--frobnicate'/);
  const missing = await runHearth(["infer", path.join(dir, "nope.gguf"), "-p", "hi"], { env });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  assert.match(missing.stderr, /no model file at .*nope\.gguf/);
  const noSchema = await runHearth(["infer", tiny, "-p", "hi", "--json-schema", path.join(dir, "none.json")], { env });
  assert.equal(noSchema.code, 2);
  assert.match(noSchema.stderr, /--json-schema: cannot read/);
  const noPrompts = await runHearth(["infer", tiny, "--json", "-i", path.join(dir, "none.txt")], { env });
  assert.equal(noPrompts.code, 2);
  assert.match(noPrompts.stderr, /no prompt file/);
});

test("an embedding model: -p texts give a summary per text, --json the unit-length vectors", async () => {
  const embed = await ensureFixture("embed");
  const r = await runHearth(["infer", embed, "-t", "1", "-p", "hello world", "-p", "the city"], { env });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0], /^1\. "hello world" {2}dims 64 {2}norm 1\.0000 {2}\[-?\d\.\d{4}, /);
  assert.match(lines[1], /^2\. "the city" {2}dims 64/);
  assert.match(lines[2], /^cosine similarity of 1 and 2: -?\d\.\d{4}$/);
  const j = await runHearth(["infer", embed, "-t", "1", "-p", "hello world", "-p", "the city", "--json"], { env });
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.dimensions, 64);
  assert.deepEqual(
    doc.data.map((d: { input: string }) => d.input),
    ["hello world", "the city"],
  );
  for (const d of doc.data) assert.ok(Math.abs(Math.hypot(...d.embedding) - 1) < 1e-3);
  assert.notDeepEqual(doc.data[0].embedding, doc.data[1].embedding);
  const none = await runHearth(["infer", embed, "-t", "1", "--json"], { env, input: "" });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no text to embed/);
});

test("a reranking model: --query and --document give scores sorted high to low, --json the same", async () => {
  const rerank = await ensureFixture("rerank");
  const docs = ["paris weather today", "hello world", "json value null"];
  const args = ["infer", rerank, "-t", "1", "--query", "weather in paris", ...docs.flatMap((d) => ["--document", d])];
  const j = await runHearth([...args, "--json"], { env });
  assert.equal(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.results.length, 3);
  assert.deepEqual(doc.results.map((x: { index: number }) => x.index).sort(), [0, 1, 2]);
  for (const x of doc.results) assert.equal(x.document, docs[x.index]);
  for (let i = 1; i < 3; i++) assert.ok(doc.results[i - 1].score >= doc.results[i].score);
  const t = await runHearth(args, { env });
  const rows = t.stdout.trim().split("\n");
  assert.match(rows[0], /^RANK\s+SCORE\s+DOC\s+DOCUMENT$/);
  assert.equal(rows.length, 4);
  assert.ok(rows[1].endsWith(doc.results[0].document));
  const noQuery = await runHearth(["infer", rerank, "--document", "x"], { env });
  assert.equal(noQuery.code, 2);
  assert.match(noQuery.stderr, /needs a query/);
});

test("<think> reasoning goes to stderr between think tags, into the JSON's reasoning, and away with --hide-think", async () => {
  const tools = await ensureFixture("tools");
  // the grammar makes the random model write a think block, then an answer
  const grammar = path.join(dir, "think.gbnf");
  writeFileSync(grammar, 'root ::= "<think>\\n" [a-z]{3,6} "\\n</think>\\n\\n" [a-z]{2,5}\n');
  const args = ["infer", tools, "-p", "hi", "-t", "1", "-n", "60", "--temperature", "0", "--grammar", grammar];
  const j = await runHearth([...args, "--json"], { env });
  assert.equal(j.code, 0, j.stderr);
  const turn = jsonLines(j.stdout)[0];
  assert.match(turn.reasoning, /^[a-z]{3,6}$/);
  assert.match(turn.output, /^[a-z]{2,5}$/);
  const shown = await runHearth(args, { env });
  assert.equal(shown.stdout.trim(), turn.output);
  assert.ok(shown.stderr.includes(`<think>${turn.reasoning}</think>`), shown.stderr);
  const hidden = await runHearth([...args, "--hide-think"], { env });
  assert.equal(hidden.stdout.trim(), turn.output);
  assert.ok(!hidden.stderr.includes("<think>") && !hidden.stderr.includes(turn.reasoning), hidden.stderr);
});

test("with --mmproj, an image path typed in a prompt becomes an image input", async () => {
  const { ensureVlmFixture } = await import("../../fixtures/mmproj.ts");
  const { solidPng } = await import("../multimodal/images.ts");
  const fx = await ensureVlmFixture();
  const png = path.join(dir, "red square.png");
  writeFileSync(png, await solidPng(64, 64));
  const args = ["infer", fx.model, "--mmproj", fx.mmproj, "-t", "1", "-n", "4", "-c", "512", "--temperature", "0", "--json"];
  const r = await runHearth([...args, "-p", `describe '${png}'`, "-p", "describe"], { env });
  assert.equal(r.code, 0, r.stderr);
  // stdout is only the turns' JSON lines: llama.cpp's own log never lands there
  const jsonLines = (out: string) =>
    out
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const [withImage, followUp] = jsonLines(r.stdout);
  assert.equal(withImage.input, `describe '${png}'`);
  assert.equal(withImage.error, null);
  const plain = await runHearth([...args, "-p", "describe"], { env });
  const [alone] = jsonLines(plain.stdout);
  // with --verbose the engine's log goes to stderr, and stdout stays JSON
  const verbose = await runHearth([...args, "-p", "describe", "--verbose"], { env });
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.equal(jsonLines(verbose.stdout).length, 1);
  assert.match(verbose.stderr, /llama|clip|load/i);
  // the image's tokens are in the prompt (and stay in the history of the next turn)
  assert.ok(withImage.usage.prompt_tokens > alone.usage.prompt_tokens, `${withImage.usage.prompt_tokens} vs ${alone.usage.prompt_tokens}`);
  assert.ok(followUp.usage.prompt_tokens > withImage.usage.prompt_tokens + alone.usage.prompt_tokens - 10);
  const missing = await runHearth(["infer", fx.model, "--mmproj", path.join(dir, "none.gguf"), "-p", "hi"], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no mmproj file at/);
});

test("a speech model (whisper.cpp .bin) goes to transcription: -i names the audio, without it the error says so", async () => {
  // transcription itself is tested in test/multimodal/cli-media.test.ts; decoding is slow on 2 cores
  const { ensureWhisperFixture } = await import("../../fixtures/whisperGgml.ts");
  const model = await ensureWhisperFixture();
  const none = await runHearth(["infer", model], { env });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no audio to transcribe \(give one with -i FILE\)/);
  const missing = await runHearth(["infer", model, "-t", "1", "-i", path.join(dir, "absent.wav")], { env });
  assert.notEqual(missing.code, 0);
  // (whisper.cpp logs its model load on stderr before hearth's own line)
  assert.match(missing.stderr, /error: no such file: .*absent\.wav/);
});

test("transcription --json: stdout is one JSON document, whisper.cpp's load log shows only under --verbose (on stderr)", async () => {
  const { ensureWhisperFixture } = await import("../../fixtures/whisperGgml.ts");
  const { testAudio } = await import("../../src/bench/workload.ts");
  const model = await ensureWhisperFixture();
  const wav = path.join(dir, "tone.wav");
  writeFileSync(wav, testAudio(1, 1));
  const args = ["infer", model, "-i", wav, "-t", "1", "--json"];
  const quiet = await runHearth(args, { env });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(JSON.parse(quiet.stdout).durationMs, 1000);
  assert.doesNotMatch(quiet.stderr, /whisper_/);
  const verbose = await runHearth([...args, "--verbose"], { env });
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.equal(JSON.parse(verbose.stdout).durationMs, 1000);
  assert.match(verbose.stderr, /whisper_init/);
});

test("a reader that goes away (| head) ends the run quietly", async () => {
  const { execFileSync } = await import("node:child_process");
  const { hearthBin } = await import("../helpers/cli.ts");
  const err = path.join(dir, "epipe.err");
  const script = `"${process.execPath}" "${hearthBin}" infer "${tiny}" -p a -p b -p c -n 64 -t 1 --temperature 0 --json 2>"${err}" | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`;
  const code = execFileSync("bash", ["-c", script], { env: { ...process.env, ...env }, encoding: "utf8" }).trim();
  assert.equal(code, "0");
  const { readFileSync } = await import("node:fs");
  assert.doesNotMatch(readFileSync(err, "utf8"), /EPIPE|Unhandled/);
});

test("--tool files in a chat: a forced call shows in the turn's tool_calls; --tool-choice alone is refused", async () => {
  const tools = await ensureFixture("tools");
  const tool = path.join(dir, "time-tool.json");
  writeFileSync(
    tool,
    JSON.stringify({
      type: "function",
      function: { name: "get_time", parameters: { type: "object", properties: { zone: { enum: ["utc", "local"] } } } },
    }),
  );
  const args = [
    "infer",
    tools,
    "-p",
    "what time is it?",
    "-t",
    "1",
    "-n",
    "120",
    "--temperature",
    "0",
    "--tool",
    tool,
    "--tool-choice",
    "required",
  ];
  const j = await runHearth([...args, "--json"], { env });
  assert.equal(j.code, 0, j.stderr);
  const turn = jsonLines(j.stdout)[0];
  assert.equal(turn.finish_reason, "tool_calls");
  assert.ok(turn.tool_calls.length >= 1);
  assert.equal(turn.tool_calls[0].name, "get_time");
  assert.ok(["utc", "local", undefined].includes(JSON.parse(turn.tool_calls[0].arguments).zone));
  const plain = await runHearth(args, { env });
  assert.match(plain.stdout, /^tool call get_time \{.*\}$/m);
  const alone = await runHearth(["infer", tools, "-p", "hi", "--tool-choice", "required"], { env });
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--tool-choice needs tools/);
});

test("a turn that fails (context exceeded) is a JSON line with the error; the next turn still runs; exit 1", async () => {
  const long = "hello world ".repeat(1500);
  const r = await runHearth(["infer", tiny, "-p", long, "-p", "short", ...small, "-n", "4", "--json"], { env });
  assert.equal(r.code, 1);
  const [failed, next] = jsonLines(r.stdout);
  assert.equal(failed.error.code, "context_exceeded");
  assert.match(failed.error.hint, /larger context/);
  assert.equal(failed.profile, null);
  assert.equal(next.error, null);
  // the failed turn is not in the history of the next
  assert.ok(next.usage.prompt_tokens < 100);
  const plain = await runHearth(["infer", tiny, "-p", long, ...small], { env });
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /^error: the prompt is \d+ tokens but the context holds \d+ \(/m);
});
