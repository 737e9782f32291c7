// Runs one task on a leased model and records what /metrics shows: time to first token, decode
// speed, tokens in and out, aborts. Every route runs its engine work through here, and the lease
// is released when the engine has stopped (finished, failed or aborted by a disconnect).
import type { TaskEvent, TaskRequest, TaskResults, TaskName } from "../model/task.ts";
import type { GenerationResult } from "../model/tasks/text.ts";
import { HearthError, isHearthError } from "../errors/HearthError.ts";
import type { Lease } from "../runtime/scheduler.ts";
import type { ServerMetrics } from "./metrics.ts";

/** A text request that names no seed takes the server's (`hearth serve --seed`); others pass as they are. */
function withDefaultSeed(request: TaskRequest, seed: number | undefined): TaskRequest {
  if (seed === undefined || (request.task !== "chat" && request.task !== "complete") || request.sampling?.seed !== undefined)
    return request;
  return { ...request, sampling: { ...request.sampling, seed } };
}

/** Yields the engine's events; the lease is released when the iteration ends, however it ends. */
export async function* runOnLease(
  lease: Lease,
  request: TaskRequest,
  signal: AbortSignal,
  metrics: ServerMetrics,
): AsyncGenerator<TaskEvent> {
  const t0 = performance.now();
  let firstAt: number | undefined;
  const labels = { model: lease.id };
  try {
    for await (const event of lease.model.run(withDefaultSeed(request, lease.seed), signal)) {
      if (
        firstAt === undefined &&
        (event.type === "text" || event.type === "tool_call" || event.type === "tool_call_delta" || event.type === "reasoning")
      ) {
        firstAt = performance.now();
        metrics.ttft.observe(labels, (firstAt - t0) / 1000);
      }
      if (event.type === "result") record(event.result, request.task, firstAt, metrics, labels);
      yield event;
    }
  } catch (e) {
    if (signal.aborted || (isHearthError(e) && e.code === "aborted")) {
      metrics.aborted.inc(labels);
      throw new HearthError("aborted", "the client went away");
    }
    throw e;
  } finally {
    lease.release();
  }
}

/** Runs a task to its result (non-streamed requests). */
export async function runToResult<T extends TaskName>(
  lease: Lease,
  request: TaskRequest & { task: T },
  signal: AbortSignal,
  metrics: ServerMetrics,
): Promise<TaskResults[T]> {
  let result: TaskResults[T] | undefined;
  for await (const e of runOnLease(lease, request, signal, metrics)) {
    if (e.type === "result") result = e.result as TaskResults[T];
  }
  if (!result) throw new HearthError("internal", "the engine ended without a result");
  return result;
}

function record(
  result: TaskResults[TaskName],
  task: TaskName,
  firstAt: number | undefined,
  metrics: ServerMetrics,
  labels: { model: string },
) {
  const usage = (result as { usage?: { promptTokens?: number; completionTokens?: number } }).usage;
  if (usage?.promptTokens) metrics.promptTokens.inc(labels, usage.promptTokens);
  if (task !== "chat" && task !== "complete") return;
  const r = result as GenerationResult;
  if (r.usage.completionTokens) metrics.completionTokens.inc(labels, r.usage.completionTokens);
  let speed = r.profile?.decodeTokensPerSec;
  if (speed === undefined && firstAt !== undefined && r.usage.completionTokens > 1) {
    const sec = (performance.now() - firstAt) / 1000;
    if (sec > 0) speed = (r.usage.completionTokens - 1) / sec;
  }
  if (speed !== undefined && Number.isFinite(speed)) metrics.decodeSpeed.observe(labels, speed);
}
