// Which llama.cpp kernels a side of a comparison ran: the CPU variant ggml loaded (node-llama-cpp's
// prebuilt picks one of its libggml-cpu-<variant>.so files for this CPU), the instruction sets it
// was built with (ggml's system info), and the buffer types the weights went to ("AMX" runs ggml's
// AMX kernels, "CPU_REPACK" its AVX-512/AVX2 repacked ones, "CPU_Mapped" the plain ones). Two sides
// whose weights went to different buffer types ran different matrix kernels: a speed ratio between
// them says nothing about the code around the kernels, so the comparison says that instead.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface LlamaKernels {
  /** e.g. "sapphirerapids" for a dynamically loaded CPU variant; absent for a static build */
  variant?: string;
  /** the instruction sets ggml was built with, as its system info lists them ("AVX512", "AMX_INT8", ...) */
  features: string[];
  /** buffer types that hold model weights, sorted ("AMX", "CPU_Mapped", "CPU_REPACK") */
  bufferTypes: string[];
}

/** Reads llama.cpp's log lines (debug level for the variant, info for the buffers). */
export function parseKernels(log: string): LlamaKernels {
  const variant = /load_backend: loaded CPU backend from \S*libggml-cpu-([\w.-]+?)\.(so|dll|dylib)/.exec(log)?.[1];
  const bufferTypes = [...new Set([...log.matchAll(/load_tensors:\s+(\S+) model buffer size/g)].map((m) => m[1]))].sort();
  const info = /CPU : ([^\n]*)/.exec(log)?.[1] ?? "";
  const features = [...info.matchAll(/(\w+) = 1/g)].map((m) => m[1]);
  return { variant, features, bufferTypes };
}

/** The weight buffer types that decide the matrix kernels (CPU_Mapped only holds what no other takes). */
function kernelBuffers(k: LlamaKernels): string {
  return k.bufferTypes.filter((b) => b !== "CPU_Mapped" && b !== "CPU").join("+") || "plain";
}

/** Why a ratio between the two would compare different kernels; undefined when they ran the same. */
export function kernelMismatch(ours: LlamaKernels, theirs: LlamaKernels): string | undefined {
  const [a, b] = [kernelBuffers(ours), kernelBuffers(theirs)];
  if (a !== b) return `different matrix kernels: hearth's weights in ${a} buffers, llama-bench's in ${b}`;
  return undefined;
}

/** One line for a report: "sapphirerapids, AMX+CPU_REPACK buffers". */
export function describeKernels(k: LlamaKernels): string {
  return `${k.variant ?? "static build"}, weights in ${k.bufferTypes.join("+") || "?"} buffers`;
}

/** llama-bench's kernels on a model: a one-token verbose run (its log goes to stderr). */
export function llamaBenchKernels(bin: string, model: string, threads = 1): Promise<LlamaKernels> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      ["-m", model, "-p", "8", "-n", "1", "-r", "1", "-t", String(threads), "-v", "-o", "json"],
      { maxBuffer: 64 << 20, timeout: 600_000 },
      (err, _stdout, stderr) => {
        if (err) reject(new Error(`llama-bench failed: ${(stderr || err.message).trim().split("\n").pop()}`));
        else resolve(parseKernels(stderr));
      },
    );
  });
}

const probeEntry = fileURLToPath(new URL("./llamaKernelsProbe.ts", import.meta.url));

/** node-llama-cpp's kernels on a model with its prebuilt CPU binaries, in a child process (its
 * debug log would otherwise be this process's, and loading here would pin one build). */
export function prebuiltKernels(model: string): Promise<LlamaKernels> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), probeEntry, model],
      { maxBuffer: 64 << 20, timeout: 600_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`the kernel probe failed: ${(stderr || err.message).trim().split("\n").pop()}`));
        else resolve(parseKernels(stdout));
      },
    );
  });
}
