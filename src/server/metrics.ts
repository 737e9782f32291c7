// Prometheus metrics for /metrics. A registry per server (not prom-client's global one), so two
// servers in one process (tests, benchmarks) keep separate counts.
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from "prom-client";
import { runtimeEvents, fallbackHistory, type FallbackEvent, type RunnerExitEvent } from "../runtime/events.ts";
import type { ModelManager } from "./models.ts";

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"method" | "route" | "status">;
  readonly errors: Counter<"route" | "status" | "code">;
  readonly promptTokens: Counter<"model">;
  readonly completionTokens: Counter<"model">;
  readonly aborted: Counter<"model">;
  readonly ttft: Histogram<"model">;
  readonly decodeSpeed: Histogram<"model">;
  readonly requestSeconds: Histogram<"route">;
  private readonly fallbacks: Counter<"model" | "from" | "to">;
  private readonly runnerExits: Counter<"model" | "backend">;
  private readonly onFallback = (e: FallbackEvent) =>
    this.fallbacks.inc({ model: e.model, from: `${e.from.backend}/${e.from.device}`, to: `${e.to.backend}/${e.to.device}` });
  /** the last runner exits, newest last (for /health) */
  readonly recentRunnerExits: RunnerExitEvent[] = [];
  private readonly onRunnerExit = (e: RunnerExitEvent) => {
    this.runnerExits.inc({ model: e.model, backend: e.backend });
    this.recentRunnerExits.push(e);
    if (this.recentRunnerExits.length > 20) this.recentRunnerExits.shift();
  };

  constructor(manager: ModelManager) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "hearth_" });
    this.requests = new Counter({
      name: "hearth_http_requests_total",
      help: "HTTP requests answered",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.errors = new Counter({
      name: "hearth_http_errors_total",
      help: "HTTP requests answered with an error",
      labelNames: ["route", "status", "code"],
      registers,
    });
    this.promptTokens = new Counter({
      name: "hearth_prompt_tokens_total",
      help: "tokens read (prompt, embedding and rerank input)",
      labelNames: ["model"],
      registers,
    });
    this.completionTokens = new Counter({
      name: "hearth_completion_tokens_total",
      help: "tokens generated",
      labelNames: ["model"],
      registers,
    });
    this.aborted = new Counter({
      name: "hearth_requests_aborted_total",
      help: "requests stopped because the client went away",
      labelNames: ["model"],
      registers,
    });
    this.ttft = new Histogram({
      name: "hearth_time_to_first_token_seconds",
      help: "time from request to first generated token",
      labelNames: ["model"],
      registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.decodeSpeed = new Histogram({
      name: "hearth_decode_tokens_per_second",
      help: "decode speed of each generation",
      labelNames: ["model"],
      registers,
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
    });
    this.requestSeconds = new Histogram({
      name: "hearth_http_request_duration_seconds",
      help: "wall time of each request",
      labelNames: ["route"],
      registers,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 120],
    });
    this.fallbacks = new Counter({
      name: "hearth_fallbacks_total",
      help: "models moved to another engine or device",
      labelNames: ["model", "from", "to"],
      registers,
    });
    this.runnerExits = new Counter({
      name: "hearth_runner_exits_total",
      help: "runner processes that exited unexpectedly",
      labelNames: ["model", "backend"],
      registers,
    });
    for (const e of fallbackHistory()) this.onFallback(e);
    runtimeEvents.on("fallback", this.onFallback);
    runtimeEvents.on("runnerExit", this.onRunnerExit);

    // gauges read the manager when scraped
    new Gauge({
      name: "hearth_queue_depth",
      help: "requests waiting for a slot",
      labelNames: ["model"],
      registers,
      collect() {
        this.reset();
        for (const m of manager.status()) this.set({ model: m.id }, m.queued);
      },
    });
    new Gauge({
      name: "hearth_active_requests",
      help: "requests running on a model",
      labelNames: ["model"],
      registers,
      collect() {
        this.reset();
        for (const m of manager.status()) this.set({ model: m.id }, m.active);
      },
    });
    new Gauge({
      name: "hearth_models_loaded",
      help: "models resident (loading ones included)",
      registers,
      collect() {
        this.set(manager.status().length);
      },
    });
    new Gauge({
      name: "hearth_model_memory_bytes",
      help: "memory of each resident model (engine report or estimate)",
      labelNames: ["model", "backend", "device"],
      registers,
      collect() {
        this.reset();
        for (const m of manager.status()) {
          if (m.memoryBytes !== undefined) this.set({ model: m.id, backend: m.backend ?? "", device: m.device ?? "" }, m.memoryBytes);
        }
      },
    });
  }

  close() {
    runtimeEvents.off("fallback", this.onFallback);
    runtimeEvents.off("runnerExit", this.onRunnerExit);
  }
}
