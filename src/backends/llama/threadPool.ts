// A persistent ggml thread pool for contexts on node-llama-cpp's prebuilt CPU build. The prebuilt has
// no OpenMP and node-llama-cpp attaches no pool, so every decode step starts and joins its worker
// threads and a second thread costs more than it gains (docs/benchmarks.md). llama.cpp's own tools
// attach a pool whose workers poll briefly for the next graph and then sleep; hearth's small native
// helper (native/llama-threads, built by scripts/build-native.mjs and shipped in the package) attaches
// one to a context node-llama-cpp created, after checking that it reads node-llama-cpp's native
// context correctly. Where the helper is missing or refuses, the context runs as before and the
// reason is in the model's settings.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LlamaContext, LlamaModel } from "node-llama-cpp";
import { llamaRelease, nodeLlamaCppDir, prebuiltBinsDir } from "./cpuLibrary.ts";

/** llama.cpp's default polling level (0: workers sleep at once, 100: they spin longest). */
const POLL = 50;

interface PoolHandle {
  readonly __pool: unique symbol;
}

interface Helper {
  nodeLlamaCppVersion: string;
  attach(
    context: object,
    model: object,
    libraries: { llama: string; ggml: string; ggmlBase: string },
    threads: number,
    poll: number,
    contextSize: number,
  ): { pool: PoolHandle } | { reason: string };
  free(pool: PoolHandle): void;
}

const require = createRequire(import.meta.url);
export const HELPER_PATH = fileURLToPath(new URL("../../../native/build/llama-threads.node", import.meta.url));

let helper: Helper | { reason: string } | undefined;

function nodeLlamaCppVersion(): string {
  return (JSON.parse(readFileSync(path.join(nodeLlamaCppDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** The helper, or why it cannot be used here. */
export function loadHelper(): Helper | { reason: string } {
  if (helper) return helper;
  if (process.platform !== "linux") helper = { reason: `the thread-pool helper is built on Linux only` };
  else if (!existsSync(HELPER_PATH)) helper = { reason: `the thread-pool helper was not built (npm run build:native says why)` };
  else {
    try {
      const h = require(HELPER_PATH) as Helper;
      const want = nodeLlamaCppVersion();
      helper =
        h.nodeLlamaCppVersion === want
          ? h
          : { reason: `the thread-pool helper was built for node-llama-cpp ${h.nodeLlamaCppVersion}, not ${want} (npm run build:native)` };
    } catch (e) {
      helper = { reason: `the thread-pool helper does not load: ${e instanceof Error ? e.message.split("\n")[0] : e}` };
    }
  }
  return helper;
}

/** node-llama-cpp's native objects behind its JS classes (node-llama-cpp is pinned exactly). */
interface Internals {
  _ctx?: { dispose?: () => unknown };
  _model?: object;
}

/** Attaches a pool of `threads` workers to a context on the prebuilt CPU build; the pool is freed
 * after the native context is (node-llama-cpp's dispose, from whichever path). */
export function attachThreadPool(context: LlamaContext, model: LlamaModel, threads: number): { attached: true } | { reason: string } {
  const h = loadHelper();
  if ("reason" in h) return h;
  const bins = prebuiltBinsDir();
  if (!bins) return { reason: "node-llama-cpp has no prebuilt binaries here" };
  const addon = (context as unknown as Internals)._ctx;
  const native = (model as unknown as Internals)._model;
  if (!addon || !native || typeof addon.dispose !== "function") return { reason: "node-llama-cpp's context has another shape" };
  const release = llamaRelease();
  const libraries = {
    llama: path.join(bins, `libllama.${release}.so`),
    ggml: path.join(bins, `libggml.${release}.so`),
    ggmlBase: path.join(bins, "libggml-base.so"),
  };
  // llama.cpp's context holds every sequence's cells; node-llama-cpp's contextSize is one sequence's
  const r = h.attach(addon, native, libraries, threads, POLL, context.contextSize * context.totalSequences);
  if ("reason" in r) return r;
  const dispose = addon.dispose.bind(addon);
  let freed = false;
  // the addon's methods are read-only on its prototype: shadow dispose on this instance
  Object.defineProperty(addon, "dispose", {
    value: async () => {
      try {
        return await dispose();
      } finally {
        if (!freed) {
          freed = true;
          h.free(r.pool);
        }
      }
    },
    configurable: true,
    writable: true,
  });
  return { attached: true };
}
