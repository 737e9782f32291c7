// A runner sends a request's first events at once, then groups the tokens that follow for up to
// HEARTH_STREAM_FLUSH_MS (runnerEntry.ts): fewer wakes of the parent while every core decodes. The
// text is the same and nothing is lost; with 0, each token goes as it comes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { NO_END_BIAS } from "../../fixtures/vocab.ts";
import type { ModelFiles } from "../../src/model/types.ts";
import { loadModel } from "../../src/runtime/load.ts";
import { withEnv } from "../helpers/env.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-runner-flush-"));

/** A completion through a runner started with HEARTH_STREAM_FLUSH_MS=`flushMs`: its text, and how
 * many bursts its text events came in (events less than 3 ms apart are one burst). */
async function streamed(files: ModelFiles, flushMs: string) {
  // the runner's environment is this process's at its start
  const model = await withEnv("HEARTH_STREAM_FLUSH_MS", flushMs, () =>
    loadModel(files, { isolate: true, backend: "llama", threads: 2, contextSize: 512, home, modelName: "bench" }),
  );
  try {
    assert.equal(model.info.settings.isolated, true);
    let text = "";
    let bursts = 0;
    let last = -Infinity;
    let completion = 0;
    for await (const e of model.run({
      task: "complete",
      prompt: "Once upon a time",
      sampling: { temperature: 0, maxTokens: 80, logitBias: NO_END_BIAS },
    })) {
      if (e.type === "text") {
        const now = performance.now();
        if (now - last >= 3) bursts++;
        last = now;
        text += e.text;
      }
      if (e.type === "result") completion = (e.result as { usage: { completionTokens: number } }).usage.completionTokens;
    }
    return { text, bursts, completion };
  } finally {
    await model.dispose();
  }
}

test("a runner groups a stream's later tokens for HEARTH_STREAM_FLUSH_MS; the text is the same as token by token", {
  timeout: 180_000,
}, async () => {
  const primary = await ensureFixture("bench");
  const files: ModelFiles = { dir: path.dirname(primary), primary, format: "gguf", type: "llm" };
  const eachToken = await streamed(files, "0");
  const grouped = await streamed(files, "200");
  assert.equal(eachToken.completion, 80);
  assert.equal(grouped.completion, 80);
  assert.equal(grouped.text, eachToken.text, "nothing lost or reordered");
  // the bench fixture takes several ms a token on any CPU: token by token, most come on their own;
  // grouped, a burst holds every token of up to 200 ms
  assert.ok(eachToken.bursts > 2 * grouped.bursts, `bursts: ${eachToken.bursts} token by token, ${grouped.bursts} grouped`);
  assert.ok(grouped.bursts >= 2, `the first token goes alone before the groups (${grouped.bursts} bursts)`);
});
