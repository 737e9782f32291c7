// Every environment variable hearth reads, in one place (as Ollama's envconfig does).
import os from "node:os";
import path from "node:path";

export interface HearthEnv {
  /** Root of the model store, profiles and state. HEARTH_HOME, default ~/.cache/hearth. */
  home: string;
  /** Hugging Face endpoint. HF_ENDPOINT, default https://huggingface.co. */
  hfEndpoint: string;
  /** Hugging Face access token. HF_TOKEN (or HUGGING_FACE_HUB_TOKEN). */
  hfToken: string | undefined;
  /** Server API key. HEARTH_API_KEY. */
  apiKey: string | undefined;
  /** Further Host names the server answers when bound to loopback. HEARTH_ALLOWED_HOSTS, comma-separated. */
  allowedHosts: string[];
  /** NO_COLOR set (any value) disables colour. */
  noColor: boolean;
  /** HEARTH_DEBUG=1 prints stack traces and forwards engine logs to stderr, like --verbose. */
  debug: boolean;
  /** HEARTH_LLAMA_BUILD: which llama.cpp binaries run text models on the CPU. "auto" (default): a
   * local OpenMP build where one loads (`npm run build:llama`, or `hearth build` where it measured
   * faster), node-llama-cpp's prebuilt otherwise; "local" or "prebuilt" to force one (a load's
   * extra.llamaBuild overrides it). */
  llamaBuild: "auto" | "local" | "prebuilt";
  /** HEARTH_LLAMA_THREAD_HELPER=off: CPU contexts run without hearth's thread helper (no persistent
   * pool on the prebuilt, decode steps on libuv's pool as node-llama-cpp runs them;
   * backends/llama/contextThreads.ts); default on where the helper loads. */
  llamaThreadHelper: boolean;
  /** HEARTH_LLAMA_TOKEN_LOOP=off: generations go through node-llama-cpp's JavaScript loop even where
   * the helper's native token loop could take them (to compare the two) */
  llamaTokenLoop: boolean;
  /** HEARTH_STREAM_STALL_MS: while a generation streams in the native token loop, another request's
   * prompt goes in pieces sized to keep each step within this many milliseconds (measured cost per
   * token, never under 128 tokens), so the stream keeps going during a long prefill. Default 200;
   * "off": prompts fill the batch, as llama.cpp's server does. */
  streamStallMs?: number;
  /** HEARTH_STREAM_FLUSH_MS: a runner process sends a request's events to the server at once until
   * its first has gone out, then at most once per this many milliseconds (each message wakes the
   * server's process, which on a machine whose cores all decode slows the decode). 0: each event
   * as soon as the runner's event loop turns. */
  streamFlushMs: number;
  /** LD_LIBRARY_PATH: extra folders where system libraries are looked up (a provider's prerequisites). */
  libraryPath: string[];
  /** UV_THREADPOOL_SIZE as set: libuv's pool threads in this process (4 when unset). llama runners
   * start with 1 (the engine's runnerEnv), which is where its sequences step together. */
  uvThreadpoolSize?: number;
  /** Test-only overrides: never set them in real use. */
  test: TestOverrides;
}

/** Test-only variables: they replace a measurement or add a fault so tests can reach a path. */
export interface TestOverrides {
  /** HEARTH_TEST_FREE_BYTES: free disk bytes instead of statfs (a full disk with small fixtures). */
  freeBytes?: number;
  /** HEARTH_TEST_MEMORY_BYTES: machine memory instead of os.totalmem() (a model too big for this machine). */
  memoryBytes?: number;
  /** HEARTH_TEST_ENGINES: comma-separated module paths of extra engines (fault-injecting twins). */
  engines: string[];
  /** HEARTH_TEST_RUNNER_SLOW=<backend>:<ms>: a runner of that backend waits this long per event. */
  runnerSlow?: { backend: string; ms: number };
}

function numberOrUndefined(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function nonNegative(v: string | undefined): number | undefined {
  const n = numberOrUndefined(v);
  return n !== undefined && n >= 0 ? n : undefined;
}

/** how long a streaming generation may wait for a token while other prompts are decoded (HEARTH_STREAM_STALL_MS) */
const DEFAULT_STREAM_STALL_MS = 200;
/** how long a runner holds a streaming request's later events to send them together (HEARTH_STREAM_FLUSH_MS) */
const DEFAULT_STREAM_FLUSH_MS = 15;

function readTestOverrides(env: NodeJS.ProcessEnv): TestOverrides {
  const memory = numberOrUndefined(env.HEARTH_TEST_MEMORY_BYTES);
  const [backend, ms] = (env.HEARTH_TEST_RUNNER_SLOW ?? "").split(":");
  return {
    freeBytes: numberOrUndefined(env.HEARTH_TEST_FREE_BYTES),
    memoryBytes: memory !== undefined && memory > 0 ? memory : undefined,
    engines: (env.HEARTH_TEST_ENGINES ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    runnerSlow: backend && Number(ms) > 0 ? { backend, ms: Number(ms) } : undefined,
  };
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): HearthEnv {
  return {
    home: path.resolve(env.HEARTH_HOME || path.join(os.homedir(), ".cache", "hearth")),
    hfEndpoint: (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, ""),
    hfToken: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined,
    apiKey: env.HEARTH_API_KEY || undefined,
    allowedHosts: (env.HEARTH_ALLOWED_HOSTS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== "",
    debug: env.HEARTH_DEBUG === "1",
    llamaBuild: env.HEARTH_LLAMA_BUILD === "local" || env.HEARTH_LLAMA_BUILD === "prebuilt" ? env.HEARTH_LLAMA_BUILD : "auto",
    libraryPath: (env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    uvThreadpoolSize: numberOrUndefined(env.UV_THREADPOOL_SIZE),
    llamaThreadHelper: env.HEARTH_LLAMA_THREAD_HELPER !== "off",
    llamaTokenLoop: env.HEARTH_LLAMA_TOKEN_LOOP !== "off",
    streamStallMs: env.HEARTH_STREAM_STALL_MS === "off" ? undefined : (nonNegative(env.HEARTH_STREAM_STALL_MS) ?? DEFAULT_STREAM_STALL_MS),
    streamFlushMs: nonNegative(env.HEARTH_STREAM_FLUSH_MS) ?? DEFAULT_STREAM_FLUSH_MS,
    test: readTestOverrides(env),
  };
}

/** The variables of `wanted` that the user has not set: a child process gets these, the user's own stay. */
export function unsetOf(wanted: Record<string, string>, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(wanted).filter(([k]) => env[k] === undefined));
}

/** --verbose: turns HEARTH_DEBUG on for this process and the runner processes it starts. */
export function enableDebug(): void {
  process.env.HEARTH_DEBUG = "1";
}

/** Spins an idle libgomp worker makes before it sleeps, where hearth chooses the wait: about 8 ms on
 * the development VM (measured 8 ms of CPU per idle worker; 1M spins 25 ms, 10M 250 ms), far more
 * than the gap between two tokens (about 0.5 ms), far less than libgomp's own spin under
 * OMP_WAIT_POLICY=active (30 billion spins: a core at 100% for minutes after each request). */
export const OPENMP_SPIN_COUNT = "300000";

/** OMP_WAIT_POLICY=active with a bounded spin (GOMP_SPINCOUNT) for libgomp, unless the user set a
 * policy: OpenMP's workers then wait actively between graph computes but sleep once a model is idle
 * (why, with figures: src/backends/llama/localBuild.ts). libgomp reads both once, when a library that
 * uses it loads, so this runs before the local llama.cpp build loads; runner processes inherit it. */
export function preferActiveOpenMpWait(env: NodeJS.ProcessEnv = process.env): void {
  if (env.OMP_WAIT_POLICY !== undefined) return; // the user's policy, and its spin, stay theirs
  env.OMP_WAIT_POLICY = "active";
  env.GOMP_SPINCOUNT ??= OPENMP_SPIN_COUNT;
}

/** Where things live under HEARTH_HOME. */
export function homePaths(home: string) {
  return {
    home,
    models: path.join(home, "models"),
    locks: path.join(home, "locks"),
    partial: path.join(home, "partial"),
    profiles: path.join(home, "profiles"),
    state: path.join(home, "state"),
  };
}

/** `~` and `~/...` as the shell means them: the one place hearth expands the home folder. */
export function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}
