// Admission for one model: at most `parallel` requests run at once (the engine decodes them together
// over its parallel sequences), at most `queueLimit` wait behind them, and the rest are turned away
// at once with 429 instead of piling up. A waiter whose client disconnects leaves the queue.
import { HearthError } from "../errors/HearthError.ts";
import { withRetryAfter } from "../errors/retryAfter.ts";

interface Waiter {
  grant: () => void;
  fail: (e: unknown) => void;
}

export class Slots {
  private running = 0;
  private waiters: Waiter[] = [];
  /** mean seconds a request held a slot, for Retry-After */
  private meanHoldSec = 1;

  constructor(
    readonly parallel: number,
    readonly queueLimit: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiters.length;
  }

  get idle(): boolean {
    return this.running === 0 && this.waiters.length === 0;
  }

  /** Waits for a slot; resolves with its release function. Throws queue_full (429) when the queue is full. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new HearthError("aborted", "the client went away"));
    if (this.running < this.parallel && this.waiters.length === 0) return Promise.resolve(this.take());
    if (this.waiters.length >= this.queueLimit) {
      const wait = (this.meanHoldSec * (this.waiters.length + 1)) / this.parallel;
      return Promise.reject(
        withRetryAfter(
          new HearthError("queue_full", `the model is busy: ${this.running} running, ${this.waiters.length} waiting`, {
            hint: "retry after the Retry-After seconds, or start the server with a larger --parallel or --queue",
          }),
          wait,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.take());
        },
        fail: reject,
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new HearthError("aborted", "the client went away while queued"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Rejects every waiter (the model is going away). */
  failAll(e: unknown) {
    for (const w of this.waiters.splice(0)) w.fail(e);
  }

  private take(): () => void {
    this.running++;
    const since = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const sec = (performance.now() - since) / 1000;
      this.meanHoldSec = this.meanHoldSec * 0.8 + sec * 0.2;
      const next = this.waiters.shift();
      if (next) next.grant();
    };
  }
}
