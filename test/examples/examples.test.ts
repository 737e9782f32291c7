// Every program in examples/ runs as a newcomer would run it (`tsx examples/x.ts`, importing
// "hearth" by its package name), on the fixtures: the models come from the environment variables
// the examples read, so none of them rots. A new example without a test here fails the first test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { ensureVlmFixture } from "../../fixtures/mmproj.ts";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import { ensureTtsFixture } from "../../fixtures/speechOnnx.ts";
import { hearthBin, repoRoot } from "../helpers/cli.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-examples-"));
const env: Record<string, string> = { HEARTH_HOME: path.join(dir, "home"), NO_COLOR: "1", HEARTH_API_KEY: "" };

before(async () => {
  const vlm = await ensureVlmFixture();
  Object.assign(env, {
    HEARTH_LLM: await ensureFixture("tools"),
    HEARTH_EMBEDDER: await ensureFixture("embed"),
    HEARTH_RERANKER: await ensureFixture("rerank"),
    HEARTH_VLM: vlm.model,
    HEARTH_MMPROJ: vlm.mmproj,
    HEARTH_ASR: await ensureWhisperFixture(),
    HEARTH_TTS: ensureTtsFixture(),
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(example: string, args: string[] = [], extra: Record<string, string> = {}) {
  const tsx = path.join(repoRoot, "node_modules/tsx/dist/cli.mjs");
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [tsx, path.join("examples", example), ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env, ...extra },
        timeout: 240_000,
        maxBuffer: 8 << 20,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(example: string, args: string[] = [], extra: Record<string, string> = {}) {
  const r = await run(example, args, extra);
  assert.equal(r.code, 0, `${example} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const TESTED = [
  "chat-streaming.ts",
  "structured-output.ts",
  "tools-loop.ts",
  "retrieval.ts",
  "vision.ts",
  "speech-round-trip.ts",
  "ocr.ts",
  "ai-sdk.ts",
  "openai-client.ts",
];

test("every example in examples/ has a test here", () => {
  const programs = readdirSync(path.join(repoRoot, "examples"))
    .filter((f) => f.endsWith(".ts"))
    .sort();
  assert.deepEqual(programs, [...TESTED].sort());
});

test("chat-streaming: streams an answer, then the measured profile", async () => {
  const out = await ok("chat-streaming.ts");
  assert.match(out, /\n\n128 tokens|\n\n\d+ tokens, first after \d+ ms, [\d.]+ tokens\/s on llama\/cpu/);
});

test("structured-output: a typed object from a Zod schema", async () => {
  const out = await ok("structured-output.ts");
  assert.match(
    out,
    /^(pancakes|omelette|salad) \((vegetarian|not vegetarian)\): (eggs|flour|milk|butter|lettuce|tomato|cheese)(, (eggs|flour|milk|butter|lettuce|tomato|cheese)){0,4}$/m,
  );
});

test("tools-loop: the forced call runs, then the loop ends within maxSteps", async () => {
  const out = await ok("tools-loop.ts");
  assert.match(out, /^step 1: get_weather\(\{[\s\S]*?\}\s*\) -> \{"city":"(Paris|Tokyo|Lima)","temperature":(21|70)/m);
  const steps = Number(/answer after (\d+) steps/.exec(out)?.[1]);
  assert.ok(steps >= 2 && steps <= 4, out);
});

test("retrieval: embeds the docs folder, reranks, answers with numbered sources", async () => {
  const out = await ok("retrieval.ts");
  const sources = out.split("\nSources:\n")[1]?.trim().split("\n") ?? [];
  assert.equal(sources.length, 3, out);
  for (const [i, s] of sources.entries())
    assert.match(s, new RegExp(`^\\[${i + 1}\\] (engines|planner|store)\\.md \\(rerank score -?[\\d.]+\\): `));
  const scores = sources.map((s) => Number(/score (-?[\d.]+)/.exec(s)![1]));
  assert.deepEqual(
    scores,
    [...scores].sort((a, b) => b - a),
    "sources in rerank order",
  );
});

test("vision: asks about an image, which fills the prompt", async () => {
  const out = await ok("vision.ts");
  const tokens = Number(/\((\d+) prompt tokens, the image included\)/.exec(out)?.[1]);
  assert.ok(tokens > 64, out); // the fixture's projector turns the image into 64 tokens
});

test("speech-round-trip: transcribes the recording and writes a spoken reply", async () => {
  const wav = path.join(dir, "reply.wav");
  const out = await ok("speech-round-trip.ts", [path.join("examples", "hello.wav"), wav]);
  assert.match(out, /^heard \(1\.\d s of audio\): /m);
  assert.match(out, /wrote .*reply\.wav: \d+\.\d s at \d+ Hz/);
  assert.equal(readFileSync(wav).subarray(0, 4).toString(), "RIFF");
});

test("ocr: reads the scanned page", async () => {
  const out = await ok("ocr.ts");
  for (const words of ["INVOICE 2041", "3 December 2026", "Total due 420.00", "Thank you for your order"])
    assert.ok(out.includes(words), `${words} in:\n${out}`);
  assert.match(out, /\n6 lines in \d+ ms/);
});

test("ai-sdk: generateText and streamText through the in-process provider", async () => {
  const out = await ok("ai-sdk.ts");
  assert.match(out, /usage: \d+ in, \d+ out; hearth profile: \{[\s\S]*ttftMs[\s\S]*engine: 'llama'/);
});

test("openai-client: the official client against hearth serve", async () => {
  const model = env.HEARTH_LLM;
  const child = spawn(process.execPath, [hearthBin, "serve", model, "--port", "0", "--threads", "1", "--parallel", "1"], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  try {
    const deadline = Date.now() + 120_000;
    let base: string | undefined;
    for (;;) {
      base = /hearth serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      if (base) break;
      assert.ok(Date.now() < deadline, `no address printed: ${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const id = path.basename(model).replace(/\.gguf$/, "");
    // the random-weight model samples unseeded here, and now and then its first token ends the
    // answer or opens a <think> block (reasoning, not content): an empty answer is tried again
    let out = "";
    for (let attempt = 0; attempt < 3; attempt++) {
      out = await ok("openai-client.ts", [], { HEARTH_URL: `${base}/v1` });
      assert.match(out, new RegExp(`^served: .*${id}`, "m"));
      if (out.split("\n")[1].length > 0) break;
    }
    assert.ok(out.split("\n")[1].length > 0, `three empty answers: ${out}`);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
});

test("an example fails clearly when its model is missing", async () => {
  const r = await run("chat-streaming.ts", [], { HEARTH_LLM: path.join(dir, "no-such-model.gguf") });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no model file at .*no-such-model\.gguf/);
  assert.ok(!existsSync(path.join(dir, "no-such-model.gguf")));
});
