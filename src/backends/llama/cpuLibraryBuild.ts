// Compiles hearth's CPU library (cpuLibrary.ts says what it is and how it loads): ggml's CPU backend
// alone, one variant, OpenMP on, from the llama.cpp source node-llama-cpp ships as a git bundle (no
// network). About 26 compile units (ggml-base and the CPU backend), not the whole llama.cpp.
//
// Two details make the one file fit node-llama-cpp's prebuilt: the library must name its dependency
// libggml-base.so, as the prebuilt's own soname is (CMAKE_PLATFORM_NO_VERSIONED_SONAME, as
// node-llama-cpp's CMakeLists sets; ggml would otherwise write libggml-base.so.0), and GGML_BACKEND_DL
// with GGML_CPU_ALL_VARIANTS gives it the variant's name, instruction sets and score function, as the
// prebuilt's variants have.
//
// One fix is applied to the source: GCC up to 12 declares the ldtilecfg intrinsic (_tile_loadconfig)
// as reading 8 bytes of the 64-byte tile configuration, so it drops the stores of the tile rows and
// columns before it in ggml_tile_config_init and the first tileloadd traps (tiles unconfigured).
// A compiler barrier keeps the stores; the kernels are unchanged (scripts/build-llama-bench.sh does
// the same for the reference tools).
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { HearthError } from "../../errors/HearthError.ts";
import {
  cpuLibraryLocation,
  cpuModel,
  llamaRelease,
  nodeLlamaCppDir,
  writeCpuLibraryInfo,
  type CpuLibraryInfo,
  type CpuLibraryLocation,
} from "./cpuLibrary.ts";

export interface BuildProgress {
  phase: "source" | "configure" | "compile" | "install";
  /** cmake's percentage while compiling */
  percent?: number;
  line?: string;
}

export interface BuildOptions {
  home: string;
  /** the CPU variant node-llama-cpp's prebuilt loads here (cpuVariant.ts) */
  variant: string;
  /** parallel compile jobs; default the CPU count */
  jobs?: number;
  /** keep the source and build folders (for a rebuild or a look); default removed after a build */
  keepWork?: boolean;
  onProgress?: (p: BuildProgress) => void;
}

export interface BuildResult {
  loc: CpuLibraryLocation;
  info: CpuLibraryInfo;
}

const AMX_FIX_MARK = "hearth: GCC";

/** Tools the build needs, each with what is missing; [] when all are there. */
export function missingTools(): string[] {
  const has = (cmd: string, arg = "--version") => spawnSync(cmd, [arg], { stdio: "ignore" }).status === 0;
  const missing: string[] = [];
  if (!has("git")) missing.push("git");
  if (!has("cmake")) missing.push("cmake");
  if (!has("c++") && !has("g++")) missing.push("a C++ compiler (g++)");
  return missing;
}

/** Inserts the compiler barrier before ldtilecfg; false when the source has no such line. */
export function applyTileConfigFix(source: string): { text: string; applied: boolean } {
  if (source.includes(AMX_FIX_MARK)) return { text: source, applied: true };
  const line = "    _tile_loadconfig(&tc);";
  if (!source.includes(line)) return { text: source, applied: false };
  const fix = `    // ${AMX_FIX_MARK} <= 12 declares ldtilecfg as reading 8 bytes, so it may drop the stores above\n    __asm__ __volatile__("" : : "r"(&tc) : "memory");\n`;
  return { text: source.replace(line, fix + line), applied: true };
}

/** The variants ggml's CMakeLists lists for x86 (ggml_add_cpu_backend_variant(<name> ...)). */
export function listedVariants(cmakeLists: string): string[] {
  return [...cmakeLists.matchAll(/^\s*ggml_add_cpu_backend_variant\((\w+)/gm)].map((m) => m[1]);
}

function run(cmd: string, args: string[], cwd: string, onLine?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const take = (d: Buffer) => {
      const text = d.toString();
      tail = (tail + text).slice(-4000);
      if (onLine) for (const l of text.split("\n")) if (l.trim()) onLine(l.trim());
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve();
      else reject(new HearthError("internal", `${cmd} ${args[0]} failed (exit ${code}): ${tail.trim().split("\n").slice(-6).join("\n")}`));
    });
  });
}

function compilerVersion(): string | undefined {
  const r = spawnSync("c++", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n")[0] : undefined;
}

export async function buildCpuLibrary(options: BuildOptions): Promise<BuildResult> {
  const { home, variant } = options;
  const progress = options.onProgress ?? (() => {});
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new HearthError("backend_unavailable", "hearth build makes CPU libraries on x86-64 Linux only", {
      hint: "node-llama-cpp's prebuilt binaries run here as they are",
    });
  }
  const missing = missingTools();
  if (missing.length) {
    throw new HearthError("backend_unavailable", `hearth build needs ${missing.join(", ")}`, {
      hint: "apt-get install git cmake build-essential (or your system's packages), then run hearth build again",
    });
  }
  const bundle = path.join(nodeLlamaCppDir(), "llama", "gitRelease.bundle");
  if (!existsSync(bundle)) {
    throw new HearthError("backend_unavailable", `node-llama-cpp's llama.cpp source is missing (${bundle})`, {
      hint: "reinstall hearth (npm ci)",
    });
  }
  const release = llamaRelease();
  const loc = cpuLibraryLocation(home, variant, release);
  const work = path.join(home, "engines", "llama-cpu", `work-${release}`);
  const src = path.join(work, "src");
  const build = path.join(work, `build-${variant}`);
  const t0 = performance.now();

  progress({ phase: "source" });
  if (!existsSync(path.join(src, "CMakeLists.txt"))) {
    rmSync(src, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    await run("git", ["clone", "-q", bundle, src], work);
  }
  const variants = listedVariants(readFileSync(path.join(src, "ggml", "src", "CMakeLists.txt"), "utf8"));
  if (!variants.includes(variant)) {
    throw new HearthError("bad_input", `ggml ${release} has no CPU variant "${variant}"`, { hint: `its variants: ${variants.join(", ")}` });
  }
  const mmq = path.join(src, "ggml", "src", "ggml-cpu", "amx", "mmq.cpp");
  if (existsSync(mmq)) {
    const fixed = applyTileConfigFix(readFileSync(mmq, "utf8"));
    if (!fixed.applied && /AMX/.test(variant)) progress({ phase: "source", line: "warning: the ldtilecfg fix did not apply" });
    writeFileSync(mmq, fixed.text);
  }

  progress({ phase: "configure" });
  const flags = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=ON",
    "-DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON",
    // no run path into the build folder (removed after): libggml-base.so is the one already loaded
    "-DCMAKE_SKIP_BUILD_RPATH=ON",
    "-DGGML_BACKEND_DL=ON",
    "-DGGML_CPU_ALL_VARIANTS=ON",
    "-DGGML_NATIVE=OFF",
    "-DGGML_OPENMP=ON",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=OFF",
    "-DLLAMA_BUILD_SERVER=OFF",
  ];
  await run("cmake", ["-S", src, "-B", build, ...flags], work);

  progress({ phase: "compile", percent: 0 });
  const jobs = options.jobs ?? Math.max(1, cpus().length);
  await run("cmake", ["--build", build, "--target", `ggml-cpu-${variant}`, "-j", String(jobs)], work, (line) => {
    const pct = /^\[\s*(\d+)%\]/.exec(line);
    if (pct) progress({ phase: "compile", percent: Number(pct[1]), line });
  });

  progress({ phase: "install" });
  const built = path.join(build, "bin", `libggml-cpu-${variant}.so`);
  if (!existsSync(built)) throw new HearthError("internal", `the build finished without ${built}`);
  mkdirSync(loc.dir, { recursive: true });
  copyFileSync(built, `${loc.library}.tmp`);
  renameSync(`${loc.library}.tmp`, loc.library);
  const info: CpuLibraryInfo = {
    release,
    variant,
    cpu: cpuModel(),
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((performance.now() - t0) / 1000),
    compiler: compilerVersion(),
  };
  writeCpuLibraryInfo(loc, info);
  if (!options.keepWork) rmSync(work, { recursive: true, force: true });
  return { loc, info };
}
