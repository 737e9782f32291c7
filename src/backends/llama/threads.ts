// Compute threads for decode (a batch of one token per sequence) apart from prefill (large batches).
//
// node-llama-cpp's prebuilt llama.cpp is built without OpenMP and attaches no thread pool to its
// contexts, so every multi-threaded graph compute creates and joins its worker threads. Measured on
// the 2-core development VM (quiet): the tiny fixture decodes at 0.34 ms/token on one thread and
// 10 ms/token on two; the 349M-parameter bench fixture at 17.7 ms on one and 24 ms on two, while
// prefill gains fully from the second thread (batches of hundreds of tokens amortise the cost).
// llama.cpp itself has separate decode and batch thread counts (n_threads, n_threads_batch); the
// addon sets both to one value, so the backend sets the count per batch instead.
//
// Only one-token batches go to fewer threads. A batch of one token from each of several streams is
// not memory-bound like a single token: on this CPU llama.cpp's matrix-matrix path costs nearly
// per token (bench fixture, one thread: 17 ms for 1 token, 49 ms for 3, 55 ms for 4; two threads:
// 12, 27, 31 ms; node-llama-cpp directly, no generation). With 4 server streams decoding their
// batches of 3-4 tokens on one thread, 4 streams together ran slower than one stream alone.
import type { LlamaContext } from "node-llama-cpp";

/** Fixed cost of one multi-threaded graph compute in node-llama-cpp (measured, see above). */
const MULTI_THREAD_COST_MS = 10;
/** The same with workers that persist and wait actively (the local OpenMP build, localBuild.ts):
 * the tiny fixture decoded at 0.40 ms/token on one thread and 0.65 ms on two (quiet VM,
 * 2026-11-25), while the bench fixture gained from the second thread (19.1 to 14.1 ms). */
const PERSISTENT_MULTI_THREAD_COST_MS = 0.5;
/** Weight bytes one core reads per millisecond when decoding (bench fixture: 371 MB in 17.7 ms). */
const BYTES_PER_MS_ONE_THREAD = 20e6;

/** Threads for decode: all of them only when a token's single-thread time is long enough that
 * splitting it gains more than the cost of using several threads, which is small where the workers
 * persist between graph computes (the local OpenMP build) and large where they do not. */
export function decodeThreadsFor(threads: number, modelBytes: number, persistentThreads = false): number {
  if (threads <= 1) return 1;
  const oneThreadMs = modelBytes / BYTES_PER_MS_ONE_THREAD;
  const cost = persistentThreads ? PERSISTENT_MULTI_THREAD_COST_MS : MULTI_THREAD_COST_MS;
  return oneThreadMs / threads + cost < oneThreadMs ? threads : 1;
}

interface AddonContext {
  initBatch(size: number): unknown;
  setThreads(threads: number): unknown;
  decodeBatch(): Promise<unknown>;
}

/**
 * Chooses between `threads` and one thread for decode steps by timing them. With actively waiting
 * OpenMP workers (the local build) several threads are fastest alone, but beside another busy
 * process a spinning worker holds a core the other needs and both slow down. Measured on the
 * 2-core VM, bench fixture, two processes decoding at once, tok/s each: 2 threads with active wait
 * 23-24, 1 thread 38-43; alone on 2 threads 64-66. (The machine's runnable-thread count was too
 * noisy a signal on 2 CPUs: it read 1-4 while one process decoded alone.)
 * It keeps a moving average of the step time per count and uses the faster one; every
 * EXPLORE_EVERY steps it runs EXPLORE_STEPS on the other count to see whether things changed. The
 * first step after a change is not counted: it pays for waking or parking the workers (30-46 ms
 * against 14-20 ms for the steps after it, measured).
 */
export class DecodeThreadChooser {
  static readonly EXPLORE_EVERY = 128;
  static readonly EXPLORE_STEPS = 3;
  private readonly ms = new Map<number, number>();
  private steps = 0;
  private current: number;
  private exploreLeft = 0;
  private last = -1;
  /** the other count's average is old when a look at it starts: its first sample replaces it */
  private stale = false;

  constructor(private readonly threads: number) {
    this.current = threads;
  }

  /** The thread count for the next decode step. */
  next(): number {
    this.steps++;
    if (this.exploreLeft === 0 && this.steps % DecodeThreadChooser.EXPLORE_EVERY === DecodeThreadChooser.EXPLORE_EVERY / 2) {
      this.exploreLeft = DecodeThreadChooser.EXPLORE_STEPS;
      this.stale = true;
    }
    if (this.exploreLeft > 0) {
      this.exploreLeft--;
      return this.current === 1 ? this.threads : 1;
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
    const many = this.ms.get(this.threads);
    const one = this.ms.get(1);
    if (this.exploreLeft === 0 && many !== undefined && one !== undefined) this.current = one < many ? 1 : this.threads;
  }
}

/**
 * Makes batches of at most `smallBatch` tokens run on `decodeThreads` (or, where a chooser is
 * given, on the count it picks by timing the steps), larger ones on the count node-llama-cpp
 * chooses. Wraps the context's addon object (node-llama-cpp 3.21.1, pinned); returns false,
 * changing nothing, if that object is not shaped as expected.
 */
export function splitDecodeThreads(context: LlamaContext, decodeThreads: number, smallBatch: number, chooser?: DecodeThreadChooser): boolean {
  const addon = (context as unknown as { _ctx?: Partial<AddonContext> })._ctx;
  if (!addon || typeof addon.initBatch !== "function" || typeof addon.setThreads !== "function" || typeof addon.decodeBatch !== "function") return false;
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
