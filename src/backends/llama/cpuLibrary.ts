// hearth's own build of ggml's CPU library (`hearth build`, cpuLibraryBuild.ts): one file,
// libggml-cpu-<variant>.so, compiled with OpenMP from the llama.cpp source node-llama-cpp ships, for
// the same CPU variant its prebuilt loads here. node-llama-cpp's prebuilt addon is kept; only the
// CPU library under it changes. The prebuilt libraries start and join their worker threads on every
// graph compute, so a decode step (a small graph) gains nothing from a second thread; OpenMP keeps
// its workers, so a step uses every core as llama.cpp's own tools do.
//
// It lives under HEARTH_HOME (so `npm ci` keeps it), in a folder named by the llama.cpp release and
// the variant, with build.json saying what was built, on which CPU, and what `hearth build` measured
// against the prebuilt. "auto" uses it only where that measurement found it faster.
//
// How it loads: ggml picks the CPU library from the folder of the addon's binding path
// (ggml_backend_load_best over that folder, highest score wins), and node-llama-cpp passes the
// folder of the binding it loaded. So hearth loads the prebuilt binding and hands node-llama-cpp a
// binding path inside this folder, whose only library is ours; its dependency libggml-base.so is
// the one the prebuilt addon already loaded (same soname, same source).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { getLlama, Llama, LlamaLogLevel } from "node-llama-cpp";
import { preferActiveOpenMpWait } from "../../config/env.ts";

/** What build.json records beside the library. */
export interface CpuLibraryInfo {
  /** llama.cpp release node-llama-cpp pins (its llama.cpp.info.json tag) */
  release: string;
  /** the CPU variant (ggml's name: "sapphirerapids", "zen4", "haswell", ...) */
  variant: string;
  /** the CPU it was built on (os.cpus()[0].model); another CPU does not use it */
  cpu: string;
  builtAt: string;
  buildSeconds: number;
  compiler?: string;
  /** `hearth build`'s decode measurement, prebuilt against this library, same model, same run */
  measured?: CpuLibraryMeasurement;
}

export interface CpuLibraryMeasurement {
  model: string;
  threads: number;
  /** decode tok/s, median of the repetitions, at each side's best thread count */
  prebuiltDecode: number;
  libraryDecode: number;
  at: string;
}

export interface CpuLibraryLocation {
  dir: string;
  library: string;
  infoFile: string;
}

const require = createRequire(import.meta.url);

/** node-llama-cpp's pinned llama.cpp release (the source of its prebuilt binaries and its bundle). */
export function llamaRelease(): string {
  const info = path.join(nodeLlamaCppDir(), "llama", "llama.cpp.info.json");
  try {
    return (JSON.parse(readFileSync(info, "utf8")) as { tag: string }).tag;
  } catch {
    return "unknown";
  }
}

export function nodeLlamaCppDir(): string {
  return path.resolve(path.dirname(require.resolve("node-llama-cpp")), "..");
}

/** The folder of node-llama-cpp's prebuilt CPU binaries for this platform, or undefined. Found
 * through the resolver's search paths: the package's "exports" map hides its package.json. */
export function prebuiltBinsDir(): string | undefined {
  const platform = `${process.platform}-${process.arch}`;
  const name = `@node-llama-cpp/${platform}`;
  for (const base of createRequire(require.resolve("node-llama-cpp")).resolve.paths(name) ?? []) {
    const dir = path.join(base, name, "bins", platform);
    if (existsSync(path.join(dir, "llama-addon.node"))) return dir;
  }
  return undefined;
}

export function cpuLibraryLocation(home: string, variant: string, release = llamaRelease()): CpuLibraryLocation {
  const dir = path.join(home, "engines", "llama-cpu", `${release}-${variant}-openmp`);
  return { dir, library: path.join(dir, `libggml-cpu-${variant}.so`), infoFile: path.join(dir, "build.json") };
}

export function readCpuLibraryInfo(loc: CpuLibraryLocation): CpuLibraryInfo | undefined {
  try {
    return JSON.parse(readFileSync(loc.infoFile, "utf8")) as CpuLibraryInfo;
  } catch {
    return undefined;
  }
}

export function writeCpuLibraryInfo(loc: CpuLibraryLocation, info: CpuLibraryInfo): void {
  writeFileSync(loc.infoFile, `${JSON.stringify(info, null, 2)}\n`);
}

/** Whether the measurement says the library decodes faster than the prebuilt (what "auto" asks). */
export function measuredFaster(info: CpuLibraryInfo): boolean {
  return !!info.measured && info.measured.libraryDecode > info.measured.prebuiltDecode;
}

export const cpuModel = (): string => cpus()[0]?.model ?? "unknown";

/** The library `hearth build` made for this machine, or why there is none. The variant is read from
 * the folder names (one release, one CPU: normally one folder). */
export function findCpuLibrary(home: string): { loc: CpuLibraryLocation; info: CpuLibraryInfo } | { reason: string } {
  if (process.platform !== "linux" || process.arch !== "x64") return { reason: "hearth build makes CPU libraries on x86-64 Linux only" };
  const release = llamaRelease();
  const root = path.join(home, "engines", "llama-cpu");
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return { reason: "no CPU library built (hearth build makes one)" };
  }
  for (const name of names) {
    const m = new RegExp(`^${release.replace(/\./g, "\\.")}-(\\w+)-openmp$`).exec(name);
    if (!m) continue;
    const loc = cpuLibraryLocation(home, m[1], release);
    const info = readCpuLibraryInfo(loc);
    if (!info || !existsSync(loc.library)) continue;
    if (info.cpu !== cpuModel()) return { reason: `the CPU library under ${loc.dir} was built on another CPU (${info.cpu})` };
    return { loc, info };
  }
  return { reason: `no CPU library built for llama.cpp ${release} (hearth build makes one)` };
}

/** node-llama-cpp's Llama over its prebuilt addon with hearth's CPU library in place of its own. */
export async function loadCpuLibrary(loc: CpuLibraryLocation, maxThreads: number, logLevel = LlamaLogLevel.error): Promise<Llama> {
  const bins = prebuiltBinsDir();
  if (!bins) throw new Error(`node-llama-cpp has no prebuilt binaries for ${process.platform}-${process.arch}`);
  preferActiveOpenMpWait(); // before libgomp loads with the library; a policy the user set wins
  const metadata = JSON.parse(readFileSync(path.join(bins, "_nlcBuildMetadata.json"), "utf8")) as {
    buildOptions: { customCmakeOptions: Record<string, string> };
  };
  metadata.buildOptions.customCmakeOptions = { ...metadata.buildOptions.customCmakeOptions, GGML_OPENMP: "ON" };
  const binding = require(path.join(bins, "llama-addon.node"));
  // Llama._create is what getLlama calls once it has a binding; node-llama-cpp is pinned exactly
  const create = (Llama as unknown as { _create(o: Record<string, unknown>): Promise<Llama> })._create;
  return create.call(Llama, {
    bindings: binding,
    // only its folder is used: ggml loads the CPU library from there
    bindingPath: path.join(loc.dir, "llama-addon.node"),
    buildType: "prebuilt",
    buildMetadata: metadata,
    logLevel,
    logger: Llama.defaultConsoleLogger,
    maxThreads,
    // getLlama's defaults (no GPU here; on Linux a quarter of RAM, at most 1 GiB, kept free)
    vramPadding: 0,
    ramPadding: (total: number) => Math.floor(Math.min(total * 0.25, 1024 ** 3)),
    skipLlamaInit: false,
    debug: false,
    numa: false,
    tempDir: undefined,
  });
}

/** node-llama-cpp's prebuilt CPU Llama at debug log level, its log lines collected in `lines` (what
 * says which variant and buffers it used). */
export function prebuiltDebugLlama(lines: string[]): Promise<Llama> {
  return getLlama({
    gpu: false,
    build: "never",
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.debug,
    logger: (_level, message) => lines.push(message),
  });
}

/** The CPU variant node-llama-cpp's prebuilt loads on this machine (ggml logs the library it picks).
 * Loads the prebuilt in this process: call it where no other CPU build is wanted (hearth build). */
export async function prebuiltCpuVariant(): Promise<string | undefined> {
  const lines: string[] = [];
  const llama = await prebuiltDebugLlama(lines);
  await llama.dispose();
  return /loaded CPU backend from \S*libggml-cpu-(\w+)\.so/.exec(lines.join("\n"))?.[1];
}
