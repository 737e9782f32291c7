// Repos in formats hearth can name but may have no engine for: MLX (Apple's framework: config.json
// with MLX quantisation, or safetensors written by MLX), NexaSDK's .nexa files, and plain
// safetensors checkpoints (PyTorch / Transformers). Told apart before any weights are downloaded, from
// the small config.json and the first safetensors header (a Range read), so `pull` can refuse them.
import path from "node:path";
import type { ModelFormat } from "../model/types.ts";
import { HearthError } from "../errors/HearthError.ts";
import { authHeaders, fileUrl, type HubAccess, type RemoteFile } from "../hub/client.ts";

const MAX_CONFIG_BYTES = 1 << 20;
const MAX_HEADER_BYTES = 8 << 20;

/** MLX's quantisation block in config.json: `{ "group_size": 64, "bits": 4 }` (no quant_method, which
 * Transformers' GPTQ/AWQ/bitsandbytes configs carry). */
export function hasMlxQuantization(config: unknown): boolean {
  if (!config || typeof config !== "object") return false;
  const c = config as Record<string, unknown>;
  return [c.quantization, c.quantization_config].some((q) => {
    if (!q || typeof q !== "object") return false;
    const x = q as Record<string, unknown>;
    return typeof x.bits === "number" && typeof x.group_size === "number" && x.quant_method === undefined;
  });
}

async function fetchBytes(access: HubAccess, repo: string, commit: string, file: string, range?: [number, number]): Promise<Buffer> {
  const url = await fileUrl(access, repo, commit, file);
  const headers: Record<string, string> = { ...authHeaders(access), ...(range ? { Range: `bytes=${range[0]}-${range[1]}` } : {}) };
  const res = await access.fetch(url, { headers });
  if (!res.ok)
    throw new HearthError("download_failed", `the hub answered HTTP ${res.status} for ${file} of ${repo}`, { hint: "try again later" });
  return Buffer.from(await res.arrayBuffer());
}

/** Whether a repo of config.json + *.safetensors is an MLX model. */
export async function isMlxRepo(access: HubAccess, repo: string, commit: string, files: RemoteFile[]): Promise<boolean> {
  const config = files.find((f) => f.path === "config.json");
  if (config && config.size <= MAX_CONFIG_BYTES) {
    try {
      if (hasMlxQuantization(JSON.parse((await fetchBytes(access, repo, commit, config.path)).toString("utf8")))) return true;
    } catch (e) {
      if (e instanceof HearthError) throw e;
      // a config.json that is not JSON says nothing about MLX
    }
  }
  // unquantised MLX weights: mlx.core.save_safetensors writes {"format": "mlx"} into the header's metadata
  const weights = files.filter((f) => /\.safetensors$/i.test(f.path)).sort((a, b) => a.path.localeCompare(b.path))[0];
  if (!weights || weights.size < 8) return false;
  const len = Number((await fetchBytes(access, repo, commit, weights.path, [0, 7])).readBigUInt64LE(0));
  if (len <= 0 || len > MAX_HEADER_BYTES || len + 8 > weights.size) return false;
  try {
    const header = JSON.parse((await fetchBytes(access, repo, commit, weights.path, [8, 8 + len - 1])).toString("utf8"));
    return header?.__metadata__?.format === "mlx";
  } catch {
    return false;
  }
}

const DESCRIBED: Partial<Record<ModelFormat, string>> = {
  mlx: "an MLX model (Apple's MLX framework, for Apple silicon)",
  nexa: "a NexaSDK model (.nexa files)",
  safetensors: "a safetensors checkpoint (for PyTorch / Transformers)",
};

/** The model's name without its org and format or precision suffixes, to search for another format of it. */
export function baseModelName(repo: string): string {
  return path.posix.basename(repo).replace(/([-_.](mlx|nexa|safetensors|\d+bit|bf16|fp16|f16|f32|q\d\w*|int\d|dwq|awq|gptq))+$/gi, "");
}

/** The refusal `pull` gives for a format no engine here reads (before downloading weights). */
export function noEngineError(repo: string, format: ModelFormat): HearthError {
  return new HearthError(
    "unsupported_architecture",
    `${repo} is ${DESCRIBED[format] ?? `a ${format} model`}: hearth has no engine for ${format} models on this platform`,
    {
      hint: `use a GGUF or ONNX repo of the same model (search huggingface.co for "${baseModelName(repo)} GGUF"), or pull with --force to download it anyway`,
    },
  );
}
