// Compute threads for decode (a batch of one token per sequence) apart from prefill (large batches).
//
// Whether a decode step is faster on all threads or on one depends on the machine, the build and
// the model, and on what else runs: node-llama-cpp's prebuilt llama.cpp has no OpenMP and, without
// hearth's thread helper (contextThreads.ts), starts and joins its workers at every multi-threaded graph
// compute (on one 2-core VM that cost about 10 ms a step, so the tiny fixture decoded at 0.34
// ms/token on one thread and 10 ms on two), the local OpenMP build and the helper's pool keep them
// waiting (0.40 against 0.65 ms on the same VM), and a GPU or a 64-core server differs again. Those figures were one VM's; nothing here is a constant from them:
// each context times its own decode steps on both counts and uses the faster (DecodeThreadChooser),
// and a load's `extra.decodeThreads` (a `hearth tune` profile can carry one) pins the count.
// llama.cpp itself has separate decode and batch thread counts (n_threads, n_threads_batch); the
// addon sets both to one value, so the backend sets the count per batch instead.
//
// Only one-token batches go to fewer threads. A batch of one token from each of several streams is
// not memory-bound like a single token: llama.cpp's matrix-matrix path costs nearly per token, and
// on one thread 4 server streams together ran slower than one stream alone.
import type { LlamaContext } from "node-llama-cpp";

interface AddonContext {
  initBatch(size: number): unknown;
  setThreads(threads: number): unknown;
  decodeBatch(): Promise<unknown>;
}

/**
 * Chooses between `threads` and one thread for decode steps by timing them. With actively waiting
 * OpenMP workers (the local build) several threads are fastest alone, but beside another busy
 * process a spinning worker holds a core the other needs and both slow down (measured on a 2-core
 * VM, bench fixture, two processes decoding at once, tok/s each: 2 threads 23-24, 1 thread 38-43;
 * alone on 2 threads 64-66); on the prebuilt build a small model is faster on one thread, a large
 * one on all. It keeps a moving average of the step time per count and uses the faster one. It
 * looks at the other count for LOOK_STEPS steps after the first FIRST_LOOK steps, then every
 * `interval` steps: MIN_INTERVAL after a look that changed the count, doubling after each look that
 * kept it, up to SETTLED_INTERVAL while neither count is FAR times the other and MAX_INTERVAL while
 * one is (on the prebuilt build a 2-thread step of the tiny model costs 30 of its 1-thread steps).
 * A look costs its slower steps and two changes of count: looking every 128 steps cost the bench
 * fixture about 4% of its decode speed (docs/benchmarks.md), every 1024 steps costs well under 1%,
 * and a change of load (another process arriving) is still followed within that many steps.
 * The first step after a change is not counted: it pays for waking or parking the workers
 * (30-46 ms against 14-20 ms for the steps after it, measured).
 */
export class DecodeThreadChooser {
  static readonly FIRST_LOOK = 8;
  static readonly LOOK_STEPS = 3;
  static readonly MIN_INTERVAL = 128;
  static readonly SETTLED_INTERVAL = 1024;
  static readonly MAX_INTERVAL = 4096;
  /** the other count is "far slower" past this ratio of step times */
  static readonly FAR = 3;
  private readonly ms = new Map<number, number>();
  private steps = 0;
  private current: number;
  private lookLeft = 0;
  private nextLook = DecodeThreadChooser.FIRST_LOOK;
  private interval = DecodeThreadChooser.MIN_INTERVAL;
  private last = -1;
  /** the other count's average is old when a look at it starts: its first sample replaces it */
  private stale = false;

  constructor(private readonly threads: number) {
    this.current = threads;
  }

  /** The count in use now (changes as steps are timed). */
  get threadsNow(): number {
    return this.current;
  }

  /** The thread count for the next decode step. */
  next(): number {
    this.steps++;
    if (this.lookLeft === 0 && this.steps >= this.nextLook) {
      this.lookLeft = DecodeThreadChooser.LOOK_STEPS;
      this.stale = true;
    }
    if (this.lookLeft > 0) {
      this.lookLeft--;
      return this.other();
    }
    return this.current;
  }

  /** How long the step on `threads` took. */
  took(threads: number, ms: number): void {
    const changed = threads !== this.last;
    this.last = threads;
    if (changed) return;
    const before = this.ms.get(threads);
    const fresh = before === undefined || (this.stale && threads !== this.current);
    if (fresh && threads !== this.current) this.stale = false;
    this.ms.set(threads, fresh ? ms : 0.7 * before + 0.3 * ms);
    if (this.lookLeft > 0 || this.steps < this.nextLook) return;
    // a look just ended: choose, and say when to look again
    const [mine, theirs] = [this.ms.get(this.current), this.ms.get(this.other())];
    if (mine === undefined || theirs === undefined) return;
    const moved = theirs < mine;
    if (moved) this.current = this.other();
    const far = Math.max(mine, theirs) > DecodeThreadChooser.FAR * Math.min(mine, theirs);
    const cap = far ? DecodeThreadChooser.MAX_INTERVAL : DecodeThreadChooser.SETTLED_INTERVAL;
    this.interval = moved ? DecodeThreadChooser.MIN_INTERVAL : Math.min(2 * this.interval, cap);
    this.nextLook = this.steps + this.interval;
  }

  private other(): number {
    return this.current === 1 ? this.threads : 1;
  }
}

/**
 * Makes batches of at most `smallBatch` tokens run on `decodeThreads` (or, where a chooser is
 * given, on the count it picks by timing the steps), larger ones on the count node-llama-cpp
 * chooses. Wraps the context's addon object (node-llama-cpp 3.21.1, pinned); returns false,
 * changing nothing, if that object is not shaped as expected.
 */
export function splitDecodeThreads(
  context: LlamaContext,
  decodeThreads: number,
  smallBatch: number,
  chooser?: DecodeThreadChooser,
): boolean {
  const addon = (context as unknown as { _ctx?: Partial<AddonContext> })._ctx;
  if (!addon || typeof addon.initBatch !== "function" || typeof addon.setThreads !== "function" || typeof addon.decodeBatch !== "function")
    return false;
  const initBatch = addon.initBatch.bind(addon);
  const setThreads = addon.setThreads.bind(addon);
  const decodeBatch = addon.decodeBatch.bind(addon);
  let batchSize = 0;
  let wanted = context.idealThreads;
  let applied = -1;
  const own = (name: keyof AddonContext, value: (...args: never[]) => unknown) =>
    Object.defineProperty(addon, name, { value, configurable: true, writable: true });
  try {
    // the addon's methods are read-only on its prototype: shadow them on this instance
    own("initBatch", (size: number) => {
      batchSize = size;
      return initBatch(size);
    });
    own("setThreads", (threads: number) => {
      wanted = threads; // node-llama-cpp's choice (its thread splitter), applied at decode
    });
    own("decodeBatch", () => {
      const small = batchSize <= smallBatch;
      const threads = small ? Math.min(chooser ? chooser.next() : decodeThreads, wanted) : wanted;
      if (threads !== applied) {
        setThreads(threads);
        applied = threads;
      }
      if (!small || !chooser) return decodeBatch();
      const t0 = performance.now();
      return decodeBatch().then((r) => {
        chooser.took(threads, performance.now() - t0);
        return r;
      });
    });
  } catch {
    for (const name of ["initBatch", "setThreads", "decodeBatch"]) delete (addon as Record<string, unknown>)[name];
    return false;
  }
  return true;
}

/** A model's settings with `decodeThreads`: the pinned count, or the count the chooser uses now
 * (read when the settings are read or serialised, so it shows what the measurement settled on). */
export function decodeThreadsSetting(decode: number | DecodeThreadChooser, settings: Record<string, unknown>): Record<string, unknown> {
  if (typeof decode === "number") return { ...settings, decodeThreads: decode };
  return Object.defineProperty({ ...settings }, "decodeThreads", { get: () => decode.threadsNow, enumerable: true });
}
