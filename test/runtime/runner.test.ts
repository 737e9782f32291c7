// Runners: the engine in a child process. A runner killed with SIGKILL mid-stream ends that request
// with runner_crashed and the next request runs on a new runner; aborts cross the process boundary;
// a request that had produced nothing when its runner died runs again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { ensureVlmFixture } from "../../fixtures/mmproj.ts";
import type { ModelFiles } from "../../src/model/types.ts";
import type { TaskEvent, TaskRequest } from "../../src/model/task.ts";
import { HearthError } from "../../src/errors/HearthError.ts";
import { loadModel } from "../../src/runtime/load.ts";
import { runtimeEvents, type RunnerExitEvent } from "../../src/runtime/events.ts";

// test-only hook (src/runtime/runnerEntry.ts): each event waits 400 ms in the runner, so a kill
// lands between the first event and the result
process.env.HEARTH_TEST_RUNNER_SLOW = "llama-mm:400";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-runner-"));
const chat: TaskRequest = {
  task: "chat",
  messages: [{ role: "user", content: "hi" }],
  sampling: { temperature: 0, maxTokens: 8, seed: 1 },
};
let files: ModelFiles;
let model: Awaited<ReturnType<typeof loadModel>>;
const exits: RunnerExitEvent[] = [];
const notices: string[] = [];

before(async () => {
  const fx = await ensureVlmFixture();
  files = { dir: path.dirname(fx.model), primary: fx.model, format: "gguf", type: "vlm" };
  runtimeEvents.on("runnerExit", (e) => exits.push(e));
  model = await loadModel(files, { isolate: true, threads: 2, contextSize: 512, home, modelName: "tiny-vlm" });
  // keep the notices of this test out of the output, but look at them
  (model as unknown as { o: { log: (l: string) => void } }).o.log = (l) => notices.push(l);
});

after(async () => {
  await model?.dispose();
});

async function collect(it: AsyncIterable<TaskEvent>): Promise<TaskEvent[]> {
  const out: TaskEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

test("the model runs in a runner process: a result, and this process holds no engine", async () => {
  assert.equal(model.info.settings.isolated, true);
  const pid = model.runnerPid!;
  assert.ok(pid > 0 && pid !== process.pid);
  const events = await collect(model.run(chat));
  const last = events.at(-1)!;
  assert.equal(last.type, "result");
  assert.ok(events.some((e) => e.type === "text"));
});

test("requests in flight at once each get their own stream and result through one runner", async () => {
  const other: TaskRequest = { task: "complete", prompt: "Once upon a time", sampling: { temperature: 0, maxTokens: 6, seed: 2 } };
  const [a, b] = await Promise.all([collect(model.run(chat)), collect(model.run(other))]);
  assert.equal(a.at(-1)!.type, "result");
  assert.equal((a.at(-1) as { task: string }).task, "chat");
  assert.equal((b.at(-1) as { task: string }).task, "complete");
});

test("SIGKILL mid-stream: the request ends with runner_crashed, the next one succeeds on a new runner", async () => {
  const first = model.runnerPid!;
  const seen: TaskEvent[] = [];
  await assert.rejects(
    (async () => {
      for await (const e of model.run(chat)) {
        seen.push(e);
        if (seen.length === 1) process.kill(first, "SIGKILL");
      }
    })(),
    (e: unknown) =>
      e instanceof HearthError &&
      e.code === "runner_crashed" &&
      /died during the request \(killed by SIGKILL\)/.test(e.message) &&
      !!e.hint,
  );
  assert.equal(seen.length, 1, "the stream stopped at the kill");
  assert.notEqual(seen[0].type, "result");
  const events = await collect(model.run(chat));
  assert.equal(events.at(-1)!.type, "result");
  assert.notEqual(model.runnerPid, first, "a new runner process");
  const exit = exits.find((e) => e.signal === "SIGKILL");
  assert.ok(exit, "a runnerExit event");
  assert.equal(exit!.model, "tiny-vlm");
  assert.equal(exit!.backend, "llama-mm");
});

test("an abort crosses into the runner: the request rejects with aborted, the runner lives on", async () => {
  const pid = model.runnerPid;
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(collect(model.run(chat, ac.signal)), (e: unknown) => e instanceof HearthError && e.code === "aborted");
  assert.equal(model.runnerPid, pid);
  assert.equal((await collect(model.run(chat))).at(-1)!.type, "result");
});

test("a runner that dies before the request produced anything: the request runs again and succeeds", async () => {
  const pid = model.runnerPid!;
  const it = model.run(chat)[Symbol.asyncIterator]();
  const next = it.next();
  // the request is in the runner (its first event waits 400 ms): kill it now
  await new Promise((r) => setTimeout(r, 100));
  process.kill(pid, "SIGKILL");
  const events: TaskEvent[] = [];
  for (let r = await next; !r.done; r = await it.next()) events.push(r.value);
  assert.equal(events.at(-1)!.type, "result");
  assert.notEqual(model.runnerPid, pid);
  // the second crash on this device: with no other device in the plan, hearth says so and stays
  assert.ok(
    notices.some((l) => /crashed 2 times.*no other device to move to/.test(l)),
    notices.join("\n"),
  );
});

test("dispose ends the runner process", async () => {
  const pid = model.runnerPid!;
  await model.dispose();
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
});

test("a parent killed with SIGKILL leaves no runner behind", async () => {
  const parent = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "holdModel.ts")], {
    env: { ...process.env, HEARTH_HOME: home },
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  parent.stdout.on("data", (d) => (out += d));
  while (!/\d+\n/.test(out)) {
    if (parent.exitCode !== null) assert.fail("the holding process exited early");
    await new Promise((r) => setTimeout(r, 100));
  }
  const runner = Number(out.trim());
  assert.doesNotThrow(() => process.kill(runner, 0), "the runner is running");
  parent.kill("SIGKILL");
  await once(parent, "exit");
  const deadline = Date.now() + 10_000;
  let alive = true;
  while (alive && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(runner, 0);
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, "the runner exits when its parent is gone");
});
