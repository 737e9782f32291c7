// What clients of other servers read about a model before using it: context length, modalities,
// chat template, architecture (llama-server's /props and /v1/models `meta`, Ollama's show and
// tags). Read from the GGUF header once per file version and cached.
import { statSync } from "node:fs";
import type { ModelFiles } from "../model/types.ts";
import { readGgufFacts, type ModelFacts } from "../formats/ggufFacts.ts";

export interface ServedFacts extends ModelFacts {
  /** "text", plus "image" / "audio" for a model with a projector */
  modalities: string[];
  /** bytes of the weights (and projector) on disk */
  sizeBytes: number;
  modifiedAt?: Date;
}

const cache = new Map<string, Promise<ServedFacts>>();

function stat(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

export function factsOf(files: ModelFiles): Promise<ServedFacts> {
  const s = stat(files.primary);
  const key = `${files.primary}|${files.mmproj ?? ""}|${s?.mtimeMs ?? 0}`;
  let facts = cache.get(key);
  if (!facts) {
    facts = read(files);
    cache.set(key, facts);
  }
  return facts;
}

async function read(files: ModelFiles): Promise<ServedFacts> {
  const paths = [files.primary, ...(files.shards ?? []), ...(files.mmproj ? [files.mmproj] : [])];
  const sizeBytes = paths.reduce((a, p) => a + (stat(p)?.isFile() ? stat(p)!.size : 0), 0);
  const modifiedAt = stat(files.primary)?.mtime;
  if (files.format !== "gguf") return { modalities: files.type === "asr" ? ["audio"] : ["text"], sizeBytes, modifiedAt };
  const base = await readGgufFacts(files.primary).catch((): ModelFacts => ({}));
  let modalities = ["text"];
  if (files.mmproj) {
    const projector = await readGgufFacts(files.mmproj).catch(() => undefined);
    modalities = ["text", ...(projector?.modalities?.length ? projector.modalities : ["image"])];
  }
  return { ...base, modalities, sizeBytes, modifiedAt };
}
