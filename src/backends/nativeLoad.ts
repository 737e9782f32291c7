// An engine whose native package cannot be loaded (not installed, no prebuilt binary for this
// platform, a library it links against missing) fails with one line that names the engine and says
// what to do, instead of Node's multi-line module-resolution or dlopen error from deep inside.
import { readFileSync } from "node:fs";
import { HearthError } from "../errors/HearthError.ts";

/** The npm package that carries each engine's native code. */
export const ENGINE_PACKAGES: Record<string, string> = {
  llama: "node-llama-cpp",
  "llama-mm": "@fugood/llama.node",
  whisper: "@fugood/whisper.node",
  sherpa: "sherpa-onnx-node",
  onnx: "onnxruntime-node",
};

/** Packages hearth leaves to the user (optional peer dependencies): their install steps download. */
function optionalPeer(pkg: string): string | undefined {
  try {
    const own = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      peerDependencies?: Record<string, string>;
    };
    return own.peerDependencies?.[pkg];
  } catch {
    return undefined;
  }
}

function isLoadFailure(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || code === "ERR_DLOPEN_FAILED") return true;
  const msg = e instanceof Error ? e.message : String(e);
  return /cannot find module|cannot open shared object|invalid ELF|GLIBC_|wrong ELF class|no native build|was compiled against a different Node/i.test(
    msg,
  );
}

/** The install command for an optional peer: ONNX Runtime's own install step downloads its CUDA
 *  provider on Linux x64 unless told otherwise, so the command says which way to choose. */
function installHint(pkg: string, version: string): string {
  const spec = `${pkg}@${version.replace(/^[\^~]/, "")}`;
  if (pkg === "onnxruntime-node" && process.platform === "linux" && process.arch === "x64") {
    return `install it: ONNXRUNTIME_NODE_INSTALL=skip npm install ${spec} (or ONNXRUNTIME_NODE_INSTALL=cuda12 for its CUDA provider)`;
  }
  return `install it: npm install ${spec}`;
}

/** Turns a failure to load an engine's native package into one HearthError line; other errors pass through. */
export function engineLoadError(engine: string, e: unknown): unknown {
  if (e instanceof HearthError || !isLoadFailure(e)) return e;
  const pkg = ENGINE_PACKAGES[engine] ?? engine;
  const first = (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 200);
  const peer = optionalPeer(pkg);
  const missing = /cannot find (module|package)/i.test(first) && first.includes(`'${pkg}'`);
  if (peer && missing) {
    return new HearthError("backend_unavailable", `the ${engine} engine needs ${pkg}, which is not installed`, {
      hint: installHint(pkg, peer),
      cause: e,
    });
  }
  const platform = `${process.platform}-${process.arch}`;
  return new HearthError("backend_unavailable", `the ${engine} engine's native code (${pkg}) does not load on ${platform}: ${first}`, {
    hint: `reinstall it with optional dependencies (npm install ${pkg}, without --omit=optional), or choose another engine with --backend`,
    cause: e,
  });
}
