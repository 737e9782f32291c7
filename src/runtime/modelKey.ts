// The key a model's profiles and remembered fallbacks are stored under: the sha256 of its primary
// file. Store models carry it in their manifest; for a plain path it is computed once and cached by
// path, size and mtime (HEARTH_HOME/state/hashes.json), because hashing gigabytes takes seconds.
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../backends/types.ts";
import { homePaths } from "../config/env.ts";
import { writeStateJson } from "../devices/discover.ts";

type HashCache = Record<string, { size: number; mtimeMs: number; sha256: string }>;

async function hashFile(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

export async function primarySha256(files: Pick<ModelFiles, "primary" | "sha256">, home: string): Promise<string> {
  if (files.sha256) return files.sha256;
  const cacheFile = path.join(homePaths(home).state, "hashes.json");
  let cache: HashCache = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, "utf8")) as HashCache;
  } catch {
    // no cache yet
  }
  const st = statSync(files.primary);
  const hit = cache[files.primary];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const sha256 = await hashFile(files.primary);
  cache[files.primary] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
  writeStateJson(cacheFile, cache);
  return sha256;
}
