import { test } from "node:test";
import assert from "node:assert/strict";
import { readWavHeader } from "../../src/media/audio.ts";
import { promptText, requestFor, testAudio } from "../../src/bench/workload.ts";
import { rescaleWords, syntheticPrompt } from "../../src/bench/prompt.ts";

test("synthetic prompts are seeded; each run starts differently with the same words", () => {
  assert.equal(syntheticPrompt(50, 7), syntheticPrompt(50, 7));
  assert.notEqual(syntheticPrompt(50, 7), syntheticPrompt(50, 8));
  const a = promptText({ words: 40, seed: 1, run: 0 });
  const b = promptText({ words: 40, seed: 1, run: 1 });
  assert.notEqual(a.split(" ")[0] + a.split(" ")[1], b.split(" ")[0] + b.split(" ")[1]);
  assert.deepEqual([...a.split(" ")].sort(), [...b.split(" ")].sort());
  assert.equal(rescaleWords(100, 150, 75), 50);
});

test("generation requests forbid the model's end tokens where the engine can, so every run generates the asked count", () => {
  const r = requestFor({ kind: "generate", text: "hi", genTokens: 8, seed: 3, banEnds: true });
  assert.equal(r.task, "complete");
  if (r.task !== "complete") return;
  assert.equal(r.sampling?.maxTokens, 8);
  assert.equal(r.sampling?.temperature, 0);
  assert.equal(r.sampling?.ignoreEos, true);
  // an engine that cannot forbid tokens (llama-mm) is not asked to
  const free = requestFor({ kind: "generate", text: "hi", genTokens: 8, seed: 3, banEnds: false });
  assert.equal(free.task === "complete" && free.sampling?.ignoreEos, undefined);
});

test("speech cells get WAV audio of the asked length", () => {
  const wav = testAudio(2.5, 1);
  const h = readWavHeader(wav);
  assert.equal(h.sampleRate, 16000);
  assert.equal(h.channels, 1);
  assert.ok(Math.abs(h.dataBytes / 2 / 16000 - 2.5) < 0.001);
});
