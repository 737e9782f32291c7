// The runtime's scheduler used directly, as any face may use it: a text model and a speech model are
// the same kind of thing to it (a LoadedModel in a runner process that runs tasks). Real engines
// (llama.cpp, whisper.cpp) on fixtures.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ModelFiles } from "../../src/model/types.ts";
import type { TaskEvent, TaskRequest } from "../../src/model/task.ts";
import { Scheduler, type Lease } from "../../src/runtime/scheduler.ts";
import { retryAfterOf } from "../../src/errors/retryAfter.ts";
import { encodeWav } from "../../src/media/audio.ts";
import { ensureFixture } from "../../fixtures/index.ts";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";

process.env.HEARTH_HOME = mkdtempSync(path.join(os.tmpdir(), "hearth-scheduler-"));
const logs: string[] = [];
// one model resident at a time, one request per model, nobody waits
const scheduler = new Scheduler({
  maxLoadedModels: 1,
  parallel: 1,
  queueLimit: 0,
  keepAliveSec: -1,
  load: { threads: 1, extra: { temperatureInc: 0 } },
  log: (l) => logs.push(l),
});

after(async () => {
  await scheduler.close();
});

const fileOf = (primary: string, format: ModelFiles["format"], type: ModelFiles["type"]): ModelFiles => ({
  dir: path.dirname(primary),
  primary,
  format,
  type,
});

async function resultOf(lease: Lease, request: TaskRequest): Promise<unknown> {
  let result: unknown;
  for await (const e of lease.model.run(request) as AsyncIterable<TaskEvent>) if (e.type === "result") result = e.result;
  return result;
}

test("text and speech through one acquire: a lease's model runs its task; the least recently used model makes room; a full model is 429 with a retry hint", async () => {
  const text = { id: "tiny", files: fileOf(await ensureFixture("tiny"), "gguf", "llm") };
  const speech = { id: "whisper", files: fileOf(await ensureWhisperFixture(), "ggml", "asr") };

  const a = await scheduler.acquire(text, "chat");
  const chat = (await resultOf(a, {
    task: "chat",
    messages: [{ role: "user", content: "hi" }],
    sampling: { maxTokens: 2, temperature: 0 },
  })) as { usage: { completionTokens: number } };
  assert.ok(chat.usage.completionTokens >= 1);
  a.release();

  const b = await scheduler.acquire(speech, "asr");
  assert.ok(logs.includes("unloaded tiny (making room for whisper)"), logs.join("\n"));
  assert.deepEqual(
    scheduler.status().map((s) => [s.id, s.type, s.state, s.active]),
    [["whisper", "asr", "ready", 1]],
  );
  const heard = (await resultOf(b, { task: "asr", audio: encodeWav(new Float32Array(8000), 16000), vad: true })) as {
    text: string;
    durationMs: number;
  };
  assert.equal(heard.text, "");
  assert.equal(Math.round(heard.durationMs), 500);

  // while b holds whisper's one slot: no room to wait for it, and no idle model to evict for tiny
  await assert.rejects(
    scheduler.acquire(speech, "asr"),
    (e: Error & { code?: string }) => e.code === "queue_full" && (retryAfterOf(e) ?? 0) >= 1,
  );
  await assert.rejects(
    scheduler.acquire(text, "chat"),
    (e: Error & { code?: string }) => e.code === "busy" && retryAfterOf(e) === 5 && /memory budget/.test(e.message),
  );
  b.release();

  // the task is checked against what the loaded model does
  await assert.rejects(scheduler.acquire(speech, "chat"), /model "whisper" cannot do chat completions \(it does asr\)/);
  assert.equal(scheduler.status()[0].active, 0, "a refused request holds no slot");

  await scheduler.close();
  assert.deepEqual(scheduler.status(), []);
  await assert.rejects(scheduler.acquire(text, "chat"), (e: Error & { code?: string }) => e.code === "loading");
});
