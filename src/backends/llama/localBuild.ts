// The opt-in local build of node-llama-cpp's addon (scripts/build-llama-addon.sh, `npm run build:llama`):
// the same llama.cpp source node-llama-cpp ships (its git bundle), compiled here with OpenMP. The
// prebuilt binaries have no OpenMP and no persistent thread pool, so each multi-threaded graph
// compute starts and joins its workers (about 10 ms here, see threads.ts); OpenMP keeps its
// workers, so a decode step can use every thread.
//
// Opt-in per load (LoadOptions.extra.llamaBuild "local"), not the default: measured on the 2-core VM
// while other work loaded it (load average 5; scripts/bench-llama-build.ts, best of 2, same run),
// decode in tok/s, bench fixture: prebuilt t1 55.4, local t1 56.8, local t2 on 2 decode threads
// 39.4, on 1 47.4 (llama-bench t1 57.4); tiny fixture: prebuilt t1 2687, local t1 2961, local t2
// 1213 on 2 and 2659 on 1. No clear win there; a quiet machine may differ (llama-bench t2 > t1).
//
// node-llama-cpp keeps local builds under node_modules/node-llama-cpp/llama/localBuilds (git-ignored;
// `npm ci` removes it) in a folder named by a hash of the cmake options, so the options below are
// how the engine finds the build the script made: both read them from here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

/** CMake options of the local build. AVX-512 without AMX rather than GGML_NATIVE (which would
 * turn AMX on where the CPU has it: ggml's AMX kernels segfault on the development VM), the
 * instruction set of the prebuilt CPU variant that runs here (as scripts/build-llama-bench.sh). */
export const LOCAL_BUILD_CMAKE_OPTIONS: Readonly<Record<string, string>> = {
  GGML_OPENMP: "ON",
  GGML_NATIVE: "OFF",
  GGML_AVX: "ON",
  GGML_AVX2: "ON",
  GGML_BMI2: "ON",
  GGML_FMA: "ON",
  GGML_F16C: "ON",
  GGML_AVX512: "ON",
  GGML_AVX512_VBMI: "ON",
  GGML_AVX512_VNNI: "ON",
  GGML_AVX512_BF16: "ON",
};

export type LocalBuildResult = { llama: Llama } | { reason: string };

/** node-llama-cpp's local-build folder (node_modules/node-llama-cpp/llama/localBuilds). */
function localBuildsDir(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..", "llama", "localBuilds");
}

/**
 * Why no finished local build with these options is there, or null when one is. Checked before
 * getLlama, which waits for a build in progress to release its lock (a whole build, many minutes).
 */
function missingReason(): string | null {
  const dir = localBuildsDir();
  if (!existsSync(dir)) return "no local llama.cpp build (npm run build:llama makes one)";
  let building = false;
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".lock")) continue;
    const folder = path.join(dir, name);
    let options: Record<string, string> | undefined;
    try {
      const meta = JSON.parse(readFileSync(path.join(folder, "Release", "_nlcBuildMetadata.json"), "utf8")) as { buildOptions?: { customCmakeOptions?: Record<string, string> } };
      options = meta.buildOptions?.customCmakeOptions;
    } catch {
      if (existsSync(`${folder}.lock`)) building = true;
      continue;
    }
    if (!options || !Object.entries(LOCAL_BUILD_CMAKE_OPTIONS).every(([k, v]) => options[k] === v)) continue;
    if (existsSync(`${folder}.lock`)) building = true;
    else if (existsSync(path.join(folder, "buildDone.status"))) return null;
  }
  return building ? "a local llama.cpp build is in progress" : "no local llama.cpp build (npm run build:llama makes one)";
}

/** The local CPU build if it was built and loads here; never compiles, never downloads. */
export async function loadLocalBuild(maxThreads: number): Promise<LocalBuildResult> {
  const missing = missingReason();
  if (missing) return { reason: missing };
  try {
    const llama = await getLlama({
      gpu: false,
      build: "never",
      usePrebuiltBinaries: false,
      skipDownload: true,
      cmakeOptions: { ...LOCAL_BUILD_CMAKE_OPTIONS },
      progressLogs: false,
      logLevel: LlamaLogLevel.error,
      maxThreads,
    });
    if (llama.buildType !== "localBuild") return { reason: `node-llama-cpp returned a ${llama.buildType} build` };
    return { llama };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return { reason: `the local llama.cpp build does not load: ${msg}` };
  }
}

/** Whether this Llama's graph computes keep their worker threads between calls (OpenMP). */
export function hasPersistentThreads(llama: Llama): boolean {
  return llama.buildType === "localBuild" && /^(on|1|true|yes)$/i.test(llama.cmakeOptions.GGML_OPENMP ?? "");
}
