// A runner process: hosts ONE engine and one loaded model, driven over IPC by runtime/runner.ts.
// It exits when the parent goes away, so a crashed server leaves no orphans holding memory.
//
// TEST-ONLY HOOK: HEARTH_TEST_RUNNER_SLOW="<backend>:<ms>" makes runners hosting that engine sleep
// <ms> before passing on each event: a slowed device for the latency-anomaly and crash tests.
import type { LoadedModel } from "../backends/types.ts";
import type { TaskEvent } from "../model/task.ts";
import { HearthError } from "../errors/HearthError.ts";
import { readEnv } from "../config/env.ts";
import { checkedLoad } from "./checkedLoad.ts";
import { loadEngine } from "./engines.ts";
import { toWireError, type FromRunner, type ToRunner } from "./runnerProtocol.ts";

let model: LoadedModel | undefined;
let backendName = "";
const running = new Map<number, AbortController>();

function send(m: FromRunner) {
  process.send?.(m);
}

function slowMs(): number {
  const slow = readEnv().test.runnerSlow;
  return slow?.backend === backendName ? slow.ms : 0;
}

/**
 * Events go out in batches: whatever the engine produced for all requests before the event loop turns
 * is one IPC message, so several streams stepping together are not throttled by one message
 * (serialize, syscall, wake the parent) per token and stream. A request's first event goes at once,
 * without waiting for the event loop to turn (time to first token); after that, a batch waits up to
 * HEARTH_STREAM_FLUSH_MS for the tokens that follow, since each message wakes the server's process,
 * which takes a core from the decode where every core decodes (docs/benchmarks.md). The end of a
 * request goes at once.
 */
const outbox = new Map<number, TaskEvent[]>();
/** requests whose first events went out */
const started = new Set<number>();
let flushScheduled = false;
let flushTimer: ReturnType<typeof setTimeout> | undefined;

function flushEvents(): void {
  flushScheduled = false;
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (outbox.size === 0) return;
  const batches = [...outbox].map(([id, events]) => ({ id, events }));
  for (const id of outbox.keys()) started.add(id);
  outbox.clear();
  send({ type: "events", batches });
}

function pushEvent(id: number, e: TaskEvent, flushMs: number): void {
  const list = outbox.get(id);
  if (list) list.push(e);
  else outbox.set(id, [e]);
  if (!started.has(id)) {
    // a request's first events: now, not after a turn of the event loop, where a busy machine can
    // keep this thread waiting for milliseconds while the decode threads run on (docs/benchmarks.md)
    flushEvents();
    return;
  }
  if (flushScheduled) return;
  if (flushMs > 0) {
    flushTimer ??= setTimeout(flushEvents, flushMs);
    return;
  }
  flushScheduled = true;
  setImmediate(flushEvents);
}

async function run(id: number, request: Extract<ToRunner, { type: "run" }>["request"]) {
  const ac = new AbortController();
  running.set(id, ac);
  const delay = slowMs();
  const flushMs = readEnv().streamFlushMs;
  try {
    if (!model) throw new Error("no model loaded in this runner");
    for await (const event of model.run(request, ac.signal)) {
      if (delay) {
        await new Promise((r) => setTimeout(r, delay));
        flushEvents();
      }
      if (ac.signal.aborted) throw new HearthError("aborted", "the request was aborted");
      pushEvent(id, event, flushMs);
    }
    flushEvents();
    send({ type: "done", id });
  } catch (e) {
    flushEvents();
    send({ type: "failed", id, error: toWireError(e) });
  } finally {
    running.delete(id);
    started.delete(id);
  }
}

process.on("message", async (m: ToRunner) => {
  switch (m.type) {
    case "load":
      backendName = m.backend;
      try {
        model = await checkedLoad(m.backend, m.files, m.options, m.probes);
        send({ type: "loaded", info: model.info });
      } catch (e) {
        send({ type: "loadFailed", error: toWireError(e) });
      }
      break;
    case "probe":
      try {
        send({ type: "probes", probes: await (await loadEngine(m.backend)).probe() });
      } catch (e) {
        // the hint travels too: for an engine that is not installed it is the command that installs it
        const w = toWireError(e);
        const reason = `${w.message.split("\n")[0]}${w.hint ? ` (${w.hint})` : ""}`;
        send({ type: "probes", probes: [{ device: "cpu", api: "cpu", available: false, reason }] });
      }
      break;
    case "run":
      void run(m.id, m.request);
      break;
    case "abort":
      running.get(m.id)?.abort();
      break;
    case "dispose":
      for (const ac of running.values()) ac.abort();
      try {
        await model?.dispose();
      } finally {
        send({ type: "disposed" });
        process.exit(0);
      }
  }
});

// the parent closed the channel (exited or crashed): nothing left to serve
process.on("disconnect", () => process.exit(0));
