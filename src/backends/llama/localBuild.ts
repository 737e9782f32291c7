// The local build of node-llama-cpp's addon (scripts/build-llama-addon.sh, `npm run build:llama`):
// the same llama.cpp source node-llama-cpp ships (its git bundle), compiled here with OpenMP. The
// prebuilt binaries have no OpenMP and no persistent thread pool, so each multi-threaded graph
// compute starts and joins its workers (about 10 ms here, see threads.ts); OpenMP keeps its
// workers, so a decode step can use every thread. Used on the CPU wherever it was built
// (llamaInstance.ts).
//
// OpenMP's workers must also wait actively between graph computes (OMP_WAIT_POLICY=active): with
// libgomp's default wait, the gap between two tokens (sampling, the hop back to JS) is long enough
// that they sleep, and waking them costs what the thread pool saves. Measured on the 2-core VM
// (bench fixture, 2 threads, tok/s, 4 alternating rounds, 2026-11-25; scripts/bench-llama-build.ts):
// default wait 43-52, GOMP_SPINCOUNT=3M 47-55, active 61-69, llama-bench 64-72. Active waiting alone
// spins an idle worker for minutes (a core at 100% after each request), so hearth also bounds the
// spin (config/env.ts OPENMP_SPIN_COUNT, about 8 ms): idle CPU after a request 1-6 ms per 2 s, same
// decode speed.
//
// node-llama-cpp keeps local builds under node_modules/node-llama-cpp/llama/localBuilds (git-ignored;
// `npm ci` removes it) in a folder named by a hash of the cmake options, so the options below are
// how the engine finds the build the script made: both read them from here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { preferActiveOpenMpWait } from "../../config/env.ts";

/** The x86 instruction sets the local build turns on, each with the /proc/cpuinfo flag that says
 * the CPU has it. Not GGML_NATIVE: -march=native turns AMX on where the CPU has it, and ggml's AMX
 * kernels compiled by GCC 12 trap (invalid opcode in tileloadd: GCC <= 12's ldtilecfg intrinsic
 * declares an 8-byte read, so the tile-config stores before it are dropped; scripts/build-llama-bench.sh
 * patches the source it builds, node-llama-cpp's `source download` here cannot). So on an AMX CPU
 * this build runs the AVX-512 repacked kernels where the prebuilt sapphirerapids variant runs AMX. */
const X86_FEATURES: ReadonlyArray<readonly [option: string, cpuFlag: string]> = [
  ["GGML_AVX", "avx"],
  ["GGML_AVX2", "avx2"],
  ["GGML_BMI2", "bmi2"],
  ["GGML_FMA", "fma"],
  ["GGML_F16C", "f16c"],
  ["GGML_AVX512", "avx512f"],
  ["GGML_AVX512_VBMI", "avx512vbmi"],
  ["GGML_AVX512_VNNI", "avx512_vnni"],
  ["GGML_AVX512_BF16", "avx512_bf16"],
];

/** CMake options of the local build for this machine's CPU (so a build never uses instructions the
 * CPU lacks). The same CPU always gives the same options, which is how the engine finds the build
 * the script made (node-llama-cpp names the folder by a hash of them). */
export function localBuildCmakeOptions(cpuinfo = readCpuinfo()): Record<string, string> {
  const options: Record<string, string> = { GGML_OPENMP: "ON", GGML_NATIVE: "OFF" };
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/) ?? []);
  if (flags.size === 0) return options; // not x86 Linux: the compiler's defaults for the target
  for (const [option, flag] of X86_FEATURES) options[option] = flags.has(flag) ? "ON" : "OFF";
  return options;
}

function readCpuinfo(): string {
  try {
    return process.arch === "x64" ? readFileSync("/proc/cpuinfo", "utf8") : "";
  } catch {
    return "";
  }
}

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
  const wanted = localBuildCmakeOptions();
  let building = false;
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".lock")) continue;
    const folder = path.join(dir, name);
    let options: Record<string, string> | undefined;
    try {
      const meta = JSON.parse(readFileSync(path.join(folder, "Release", "_nlcBuildMetadata.json"), "utf8")) as {
        buildOptions?: { customCmakeOptions?: Record<string, string> };
      };
      options = meta.buildOptions?.customCmakeOptions;
    } catch {
      if (existsSync(`${folder}.lock`)) building = true;
      continue;
    }
    if (!options || !Object.entries(wanted).every(([k, v]) => options[k] === v)) continue;
    if (existsSync(`${folder}.lock`)) building = true;
    else if (existsSync(path.join(folder, "buildDone.status"))) return null;
  }
  return building ? "a local llama.cpp build is in progress" : "no local llama.cpp build (npm run build:llama makes one)";
}

/** The local CPU build if it was built and loads here; never compiles, never downloads. */
export async function loadLocalBuild(maxThreads: number): Promise<LocalBuildResult> {
  const missing = missingReason();
  if (missing) return { reason: missing };
  preferActiveOpenMpWait(); // before the addon loads libgomp; a policy the user set wins
  try {
    const llama = await getLlama({
      gpu: false,
      build: "never",
      usePrebuiltBinaries: false,
      skipDownload: true,
      cmakeOptions: localBuildCmakeOptions(),
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
