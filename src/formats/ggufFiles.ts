// Which GGUF files on disk make one model: a single file, or a split model's shards
// (`<prefix>-00001-of-00003.gguf`, ...) in order; multimodal projectors (`mmproj*.gguf`) apart.
// Pure (names only): the llama engines' descriptors recognise their layouts with it.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseGgufShardFilename } from "@huggingface/gguf";

export interface GgufModel {
  /** the file to load: the model file, or the first shard */
  primary: string;
  /** the further shards of a split model, in order */
  shards?: string[];
}

export const isGgufFile = (p: string) => /\.gguf$/i.test(p);
export const isProjectorFile = (p: string) => isGgufFile(p) && /mmproj/i.test(path.basename(p));

/** A GGUF model file with its shards (when it is the first of a split set whose shards are all present). */
export function ggufModelOf(file: string): GgufModel {
  const shard = parseGgufShardFilename(file);
  if (!shard || Number(shard.shard) !== 1) return { primary: file };
  const total = Number(shard.total);
  const width = shard.total.length;
  const shards: string[] = [];
  for (let i = 2; i <= total; i++) {
    const next = `${shard.prefix}-${String(i).padStart(width, "0")}-of-${shard.total}.gguf`;
    if (!existsSync(next)) return { primary: file };
    shards.push(next);
  }
  return shards.length ? { primary: file, shards } : { primary: file };
}

/** The GGUF models (shard sets counted once) and the projectors in a folder, sorted by name. */
export function ggufFilesIn(dir: string): { models: GgufModel[]; projectors: string[] } {
  const names = readdirSync(dir)
    .filter(isGgufFile)
    .sort()
    .map((n) => path.join(dir, n));
  const projectors = names.filter(isProjectorFile);
  const models: GgufModel[] = [];
  for (const f of names.filter((n) => !isProjectorFile(n))) {
    const shard = parseGgufShardFilename(f);
    if (shard && Number(shard.shard) !== 1) continue; // a later shard belongs to its first
    models.push(ggufModelOf(f));
  }
  return { models, projectors };
}
