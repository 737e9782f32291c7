// hearth's models as Ollama's listings describe them: /api/tags entries, /api/show and /api/ps.
// `digest` names the file version (path, size, time), not a content hash: hashing gigabytes on a
// listing would be too slow, and hearth's store verifies content when it pulls.
import { createHash } from "node:crypto";
import type { ModelFiles, ModelType } from "../../model/types.ts";
import type { CatalogModel } from "../catalog.ts";
import type { ModelStatus } from "../models.ts";
import type { ServedFacts } from "../modelFacts.ts";
import { toOllamaName } from "./request.ts";

export function digestOf(files: ModelFiles, facts: ServedFacts): string {
  return createHash("sha256")
    .update(`${files.primary}|${facts.sizeBytes}|${facts.modifiedAt?.getTime() ?? 0}`)
    .digest("hex");
}

function parameterSize(n: number | undefined): string {
  if (!n) return "";
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return `${(n / 1e3).toFixed(1)}K`;
}

export function details(files: ModelFiles, facts: ServedFacts, quant?: string) {
  return {
    parent_model: "",
    format: files.format,
    family: facts.architecture ?? "",
    families: facts.architecture ? [facts.architecture] : null,
    parameter_size: parameterSize(facts.parameters),
    quantization_level: quant ?? facts.quant ?? "",
  };
}

export function tagEntry(m: CatalogModel, files: ModelFiles, facts: ServedFacts) {
  const name = toOllamaName(m.id);
  return {
    name,
    model: name,
    modified_at: (m.created ? new Date(m.created * 1000) : (facts.modifiedAt ?? new Date(0))).toISOString(),
    size: facts.sizeBytes,
    digest: digestOf(files, facts),
    details: details(files, facts, m.quant),
  };
}

export function capabilities(type: ModelType, facts: ServedFacts): string[] {
  if (type === "embedder") return ["embedding"];
  if (type !== "llm" && type !== "vlm") return [];
  const out = ["completion"];
  const template = facts.chatTemplate ?? "";
  if (/tools|tool_call/.test(template)) out.push("tools");
  if (/<think>|enable_thinking|reasoning_content/.test(template)) out.push("thinking");
  if (facts.modalities.includes("image")) out.push("vision");
  if (facts.modalities.includes("audio")) out.push("audio");
  return out;
}

export function show(files: ModelFiles, facts: ServedFacts) {
  const arch = facts.architecture ?? "";
  const info: Record<string, unknown> = { "general.architecture": arch, "general.parameter_count": facts.parameters ?? 0 };
  if (facts.name) info["general.basename"] = facts.name;
  if (arch) {
    if (facts.contextLength) info[`${arch}.context_length`] = facts.contextLength;
    if (facts.embeddingLength) info[`${arch}.embedding_length`] = facts.embeddingLength;
    if (facts.layers) info[`${arch}.block_count`] = facts.layers;
    if (facts.headCount) info[`${arch}.attention.head_count`] = facts.headCount;
    if (facts.headCountKv) info[`${arch}.attention.head_count_kv`] = facts.headCountKv;
  }
  return {
    license: "",
    modelfile: `# hearth serves this model from ${files.primary}\nFROM ${files.primary}\n`,
    parameters: "",
    template: facts.chatTemplate ?? "",
    details: details(files, facts),
    model_info: info,
    capabilities: capabilities(files.type, facts),
    modified_at: (facts.modifiedAt ?? new Date(0)).toISOString(),
  };
}

export function psEntry(s: ModelStatus, files: ModelFiles, facts: ServedFacts, keepAliveSec: number, contextLength?: number) {
  const name = toOllamaName(s.id);
  const last = s.lastUsedAt ? Date.parse(s.lastUsedAt) : Date.now();
  // never unloaded (keep-alive < 0): Ollama clients read a far date as "forever"
  const expires = keepAliveSec < 0 ? new Date("2318-01-01T00:00:00Z") : new Date(last + keepAliveSec * 1000);
  const size = s.memoryBytes ?? facts.sizeBytes;
  return {
    name,
    model: name,
    size,
    digest: digestOf(files, facts),
    details: details(files, facts),
    expires_at: expires.toISOString(),
    size_vram: s.device && s.device !== "cpu" ? size : 0,
    context_length: contextLength ?? facts.contextLength ?? 0,
  };
}
