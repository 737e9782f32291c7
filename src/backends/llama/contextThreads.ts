// Threads for node-llama-cpp's CPU contexts, through hearth's small native helper
// (native/llama-threads, built by scripts/build-native.mjs and shipped in the package), which reads
// the llama_context behind node-llama-cpp's context object after checking that it reads it right:
// - a persistent ggml thread pool on the prebuilt build. The prebuilt has no OpenMP and node-llama-cpp
//   attaches no pool, so every decode step started and joined its worker threads and a second thread
//   cost more than it gained; llama.cpp's own tools attach a pool whose workers poll briefly for the
//   next graph and then sleep.
// - a decode thread of the context's own. node-llama-cpp runs each decode step as a job on libuv's
//   pool, and successive steps land on different pool threads: in-process decode ran 6-12% slower
//   than with one pool thread (docs/benchmarks.md). The helper runs the same llama_decode call on one
//   thread per context instead.
// - the token loop (tokenLoop.ts): whole generations decoded and sampled in C++ on that thread.
//   node-llama-cpp's own decode steps for other requests run between the loop's steps, and the loop
//   holds off while node-llama-cpp samples from the logits of its step or changes a sequence's cells.
// Where the helper is missing or refuses, the context runs as before and the reason is in the
// model's settings.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LlamaContext, LlamaModel } from "node-llama-cpp";
import { llamaRelease, nodeLlamaCppDir, prebuiltBinsDir } from "./cpuLibrary.ts";

/** llama.cpp's default polling level (0: workers sleep at once, 100: they spin longest). */
const POLL = 50;

interface Binding {
  readonly __binding: unique symbol;
}

interface Helper {
  nodeLlamaCppVersion: string;
  open(
    context: object,
    model: object,
    libraries: { llama: string; ggml: string; ggmlBase: string },
    contextCells: number,
  ): { binding: Binding } | { reason: string };
  /** undefined when attached, else why not */
  pool(binding: Binding, threads: number, poll: number): string | undefined;
  decode(binding: Binding): Promise<void>;
  generate(
    binding: Binding,
    sampler: object,
    tokens: Uint32Array,
    options: LoopOptions,
    onTokens: (tokens: number[], ms: number[]) => void,
  ): Promise<LoopEnd>;
  stop(binding: Binding, sequence?: number): void;
  /** one more (or one fewer) holder of the token loop between its steps; `wait`: until it waits */
  hold(binding: Binding, on: boolean, wait?: boolean): void;
  /** one more holder, resolving once the loop waits (without blocking); let go with hold(binding, false) */
  park(binding: Binding): Promise<void>;
  /** how the loop has timed steps of several streams' tokens (native/llama-threads/step-ways.h) */
  steps(binding: Binding): StepWay[];
  close(binding: Binding): void;
}

/** For one stream count: the loop's step time with the streams' tokens in one batch and with one
 * decode per stream (recent steps weighing most), how many steps each way, and the way it takes now. */
export interface StepWay {
  streams: number;
  joinedMs: number;
  joinedSteps: number;
  splitMs: number;
  splitSteps: number;
  split: boolean;
}

/** What the helper's token loop is told (native/llama-threads/token-loop.cc). */
export interface LoopOptions {
  sequence: number;
  /** the cell position of the first token given */
  position: number;
  maxTokens: number;
  /** no token is decoded at this position or past it */
  positionLimit: number;
  decodeThreads: number;
  batchThreads: number;
  /** tokens that end the generation besides the model's end tokens */
  stopTokens?: Uint32Array;
  /** while this generation streams, other prompts go in pieces that keep a step within this many ms
   * (at the loop's measured cost per token, never under 128 tokens); absent: they fill the batch */
  maxStallMs?: number;
}

export interface LoopEnd {
  /** tokens written to the sequence's cells: the ones given, then the generated ones but the last */
  evaluated: number;
  stop: "eog" | "length" | "abort" | "context";
}

/** A context's token loop, on the context's own thread: one generation per sequence, the generations
 * of several sequences decoded together. */
export interface ContextLoop {
  /** `sampler`: a node-llama-cpp AddonSampler, configured; `onTokens` gets the tokens sampled since its
   * last call and when each was (ms after the call); rejects with an Error carrying `evaluated` */
  generate(
    sampler: object,
    tokens: Uint32Array,
    options: LoopOptions,
    onTokens: (tokens: number[], ms: number[]) => void,
  ): Promise<LoopEnd>;
  /** ends the sequence's generation after the token it is on */
  stop(sequence: number): void;
  /**
   * Runs `change` (node-llama-cpp calls that change a sequence's cells) while the loop stands between
   * two steps. Those calls wait for that anyway, blocking JavaScript for the rest of the loop's step
   * (a prompt chunk's, seconds on a large model); here the wait is a promise, so the server and the
   * other generations' tokens go on meanwhile.
   */
  parked<T>(change: () => Promise<T>): Promise<T>;
  /** how steps of several streams' tokens were timed, and which way each stream count takes */
  steps(): StepWay[];
}

const loops = new WeakMap<LlamaContext, ContextLoop>();

/** The token loop of a context the helper attached to, if it did. */
export const contextLoopOf = (context: LlamaContext): ContextLoop | undefined => loops.get(context);

const require = createRequire(import.meta.url);
export const HELPER_PATH = fileURLToPath(new URL("../../../native/build/llama-threads.node", import.meta.url));

let helper: Helper | { reason: string } | undefined;

function nodeLlamaCppVersion(): string {
  return (JSON.parse(readFileSync(path.join(nodeLlamaCppDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** The helper, or why it cannot be used here. */
export function loadHelper(): Helper | { reason: string } {
  if (helper) return helper;
  if (process.platform !== "linux") helper = { reason: "hearth's llama.cpp thread helper is built on Linux only" };
  else if (!existsSync(HELPER_PATH)) helper = { reason: "hearth's llama.cpp thread helper was not built (npm run build:native says why)" };
  else {
    try {
      const h = require(HELPER_PATH) as Helper;
      const want = nodeLlamaCppVersion();
      helper =
        h.nodeLlamaCppVersion === want
          ? h
          : {
              reason: `hearth's llama.cpp thread helper was built for node-llama-cpp ${h.nodeLlamaCppVersion}, not ${want} (npm run build:native)`,
            };
    } catch (e) {
      helper = { reason: `hearth's llama.cpp thread helper does not load: ${e instanceof Error ? e.message.split("\n")[0] : e}` };
    }
  }
  return helper;
}

/** The libraries of node-llama-cpp's prebuilt CPU build, which the helper looks up (loaded ones only). */
export function prebuiltLibraries(): { llama: string; ggml: string; ggmlBase: string } | undefined {
  const bins = prebuiltBinsDir();
  if (!bins) return undefined;
  const release = llamaRelease();
  return {
    llama: path.join(bins, `libllama.${release}.so`),
    ggml: path.join(bins, `libggml.${release}.so`),
    ggmlBase: path.join(bins, "libggml-base.so"),
  };
}

/** node-llama-cpp's native objects behind its JS classes (node-llama-cpp is pinned exactly). */
interface Internals {
  _ctx?: { dispose?: () => unknown; decodeBatch?: () => Promise<void>; sampleToken?: (...args: unknown[]) => Promise<unknown> };
  _model?: object;
}

/** node-llama-cpp's context methods that read or change a sequence's cells. */
const MEMORY_METHODS = [
  "disposeSequence",
  "removeTokenCellsFromSequence",
  "shiftSequenceTokenCells",
  "getSequenceKvCacheMinPosition",
  "getSequenceKvCacheMaxPosition",
  "saveSequenceStateToFile",
  "loadSequenceStateFromFile",
  "restoreCheckpoint",
  "setLoras",
];

/** What a context got, as the model's settings show it. */
export interface ContextThreads {
  /** "persistent" where a pool was attached, "none" where one was wanted and could not be */
  threadPool?: "persistent" | "none";
  /** why there is no pool or no decode thread */
  threadPoolNote?: string;
  /** "own": decode steps run on a thread of the context's own */
  decodeThread?: "own";
}

/** Gives a CPU context its decode thread and, where `pool` asks, a pool of `threads` workers. Both
 * end after the native context does (node-llama-cpp's dispose, from whichever path). Call before
 * anything else wraps the context's decodeBatch (threads.ts). */
export function attachContextThreads(context: LlamaContext, model: LlamaModel, threads: number, pool: boolean): ContextThreads {
  const none = (reason: string): ContextThreads => ({ ...(pool ? { threadPool: "none" as const } : {}), threadPoolNote: reason });
  const h = loadHelper();
  if ("reason" in h) return none(h.reason);
  const libraries = prebuiltLibraries();
  if (!libraries) return none("node-llama-cpp has no prebuilt binaries here");
  const addon = (context as unknown as Internals)._ctx;
  const native = (model as unknown as Internals)._model;
  if (
    !addon ||
    !native ||
    typeof addon.dispose !== "function" ||
    typeof addon.decodeBatch !== "function" ||
    typeof addon.sampleToken !== "function"
  )
    return none("node-llama-cpp's context has another shape");
  // llama.cpp's context holds every sequence's cells; node-llama-cpp's contextSize is one sequence's
  const opened = h.open(addon, native, libraries, context.contextSize * context.totalSequences);
  if ("reason" in opened) return none(opened.reason);
  const { binding } = opened;
  const poolRefused = pool ? h.pool(binding, threads, POLL) : undefined;
  const dispose = addon.dispose.bind(addon);
  let running: Promise<void> | undefined;
  const generations = new Set<Promise<unknown>>();
  let closed = false;
  // the addon's methods are read-only on its prototype: shadow them on this instance
  const own = (name: string, value: unknown) => Object.defineProperty(addon, name, { value, configurable: true, writable: true });
  // node-llama-cpp samples from the logits of its decode step after the step: the token loop, which
  // decodes other sequences in between, holds off from the step until those samples are taken (the
  // sampling calls come in microtasks after the step, so a macrotask later with none running, there
  // are no more for it)
  const sampleToken = addon.sampleToken.bind(addon);
  let holding = false;
  let decoding = false;
  let sampling = 0;
  const letGo = () =>
    setImmediate(() => {
      if (holding && !decoding && sampling === 0 && !closed) {
        holding = false;
        h.hold(binding, false);
      }
    });
  own("decodeBatch", () => {
    if (!holding) {
      holding = true;
      h.hold(binding, true);
    }
    decoding = true;
    const step = h.decode(binding);
    running = step.catch(() => undefined);
    void running.then(() => {
      decoding = false;
      letGo();
    });
    return step;
  });
  // llama.cpp's memory must not change under a decode: node-llama-cpp's own changes to a sequence's
  // cells (erasing, shifting, state files) wait for the token loop to stand between two steps (at most
  // one step; nothing when no loop runs)
  const ctx = addon as unknown as Record<string, unknown>;
  for (const name of MEMORY_METHODS) {
    const method = ctx[name];
    if (typeof method !== "function") continue;
    const call = method.bind(addon) as (...args: unknown[]) => unknown;
    own(name, (...args: unknown[]) => {
      if (closed) return call(...args);
      h.hold(binding, true, true);
      let result: unknown;
      try {
        result = call(...args);
      } catch (e) {
        h.hold(binding, false);
        throw e;
      }
      if (result instanceof Promise) return result.finally(() => !closed && h.hold(binding, false));
      h.hold(binding, false);
      return result;
    });
  }
  own("sampleToken", (...args: unknown[]) => {
    sampling++;
    const taken = sampleToken(...args);
    void taken
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        sampling--;
        letGo();
      });
    return taken;
  });
  loops.set(context, {
    generate(sampler, tokens, options, onTokens) {
      const run = h.generate(binding, sampler, tokens, options, onTokens);
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      generations.add(settled);
      void settled.then(() => generations.delete(settled));
      return run;
    },
    stop: (sequence) => {
      if (!closed) h.stop(binding, sequence);
    },
    steps: () => (closed ? [] : h.steps(binding)),
    async parked(change) {
      if (closed) return change();
      await h.park(binding);
      try {
        return await change();
      } finally {
        if (!closed) h.hold(binding, false);
      }
    },
  });
  own("dispose", async () => {
    if (!closed) h.stop(binding); // the token loop's generations end after their current token
    // the context's thread must be done with the context before it is freed
    await Promise.all([running, ...generations]);
    try {
      return await dispose();
    } finally {
      if (!closed) {
        closed = true;
        h.close(binding);
      }
    }
  });
  return {
    ...(pool ? { threadPool: poolRefused === undefined ? ("persistent" as const) : ("none" as const) } : {}),
    ...(poolRefused !== undefined ? { threadPoolNote: poolRefused } : {}),
    decodeThread: "own",
  };
}
