// What `hearth show` prints about a model: facts from its GGUF header (read at pull time and kept in
// the manifest, or read now for a plain path), the quant, size on disk, and the memory it is
// estimated to need at a 4096-token context.
import type { ModelFiles, ModelFormat, ModelType } from "../model/types.ts";
import { readEnv } from "../config/env.ts";
import { estimateMemoryBytes, readGgufFacts, type ModelFacts } from "../formats/ggufFacts.ts";
import { expandAlias } from "../store/aliases.ts";
import { embeddedModel } from "../store/embedded.ts";
import { readManifest } from "../store/manifest.ts";
import { parseModelRef } from "../store/names.ts";
import { filesFromManifest } from "../store/resolveName.ts";
import { looksLikePath, resolveModel } from "./resolveModel.ts";
import { descriptorsFor } from "../backends/registry.ts";
import { estimateGgufMemory, modelFilesBytes } from "../store/memoryEstimate.ts";

/** What `describeModel()` tells about a model: files, facts, and what hearth would do with it. */
export interface ModelDescription {
  name: string;
  source: "store" | "path" | "embedded";
  type: ModelType;
  format: ModelFormat;
  quant?: string;
  /** every quant the repo offers, with which are downloaded (store models) */
  quants?: { name: string; size: number; downloaded: boolean }[];
  architecture?: string;
  parameters?: number;
  contextLength?: number;
  layers?: number;
  hasChatTemplate?: boolean;
  modalities: string[];
  /** bytes on disk of this quant's weights and the files that go with them */
  sizeBytes: number;
  /** weights + f16 KV cache at a 4096-token context */
  memoryBytes4k?: number;
  commit?: string;
  /** the engines here that run this format and type; none for MLX, .nexa or safetensors */
  engines: string[];
  files: ModelFiles;
}

/** Describes an installed model, an embedded one or a model file (as `hearth show` prints it). */
export async function describeModel(ref: string, o: { home?: string } = {}): Promise<ModelDescription> {
  const home = o.home ?? readEnv().home;
  const files = await resolveModel(ref, { pull: false, home });
  let facts: ModelFacts = {};
  let source: ModelDescription["source"] = "path";
  let name = ref;
  let commit: string | undefined;
  let quants: ModelDescription["quants"];
  let quant: string | undefined;
  if (looksLikePath(ref)) {
    if (files.format === "gguf") facts = await readGgufFacts(files.primary);
    quant = facts.quant;
  } else if (!ref.includes("/") && embeddedModel(ref)) {
    source = "embedded";
    name = ref.toLowerCase();
  } else {
    source = "store";
    const { repo, quant: asked } = parseModelRef(expandAlias(ref));
    const m = readManifest(home, repo)!;
    name = repo;
    commit = m.commit;
    quants = m.quants.map((q) => ({ name: q.name, size: q.size, downloaded: q.downloaded }));
    // the quant resolveModel picked: the one whose first file is the primary
    quant = m.quants.find((q) => filesFromManifest(home, m, q.name)?.primary === files.primary && q.downloaded)?.name ?? asked;
    facts = m.facts;
    // the manifest keeps the facts of the last quant pulled; read this quant's own header when it differs
    if (files.format === "gguf" && facts.quant?.toUpperCase() !== quant)
      facts = { ...facts, ...(await readGgufFacts(files.primary)), modalities: facts.modalities };
  }
  const gguf = files.format === "gguf";
  return {
    name,
    source,
    type: files.type,
    format: files.format,
    quant,
    quants,
    architecture: facts.architecture,
    parameters: facts.parameters,
    contextLength: facts.contextLength,
    layers: facts.layers,
    hasChatTemplate: gguf ? !!facts.hasChatTemplate : undefined,
    modalities: files.mmproj
      ? ["text", "image"]
      : (facts.modalities ?? (files.type === "cv" ? ["image"] : files.type === "asr" ? ["audio"] : ["text"])),
    sizeBytes: modelFilesBytes(files),
    memoryBytes4k: estimateGgufMemory(files, facts, 4096),
    commit,
    engines: descriptorsFor(files).map((d) => d.name),
    files,
  };
}
