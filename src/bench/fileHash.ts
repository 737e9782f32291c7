// sha256 of a model file, which keys measured profiles. Hashing a multi-GB file takes seconds, so
// the digest is cached in HEARTH_HOME/state/hashes.json, keyed by the file's absolute path, size and
// modification time (the same cache, in the same format, as runtime/modelKey.ts reads).
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { homePaths, readEnv } from "../config/env.ts";

interface CacheEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

function cacheFile(home: string): string {
  return path.join(homePaths(home).state, "hashes.json");
}

function readCache(home: string): Record<string, CacheEntry> {
  try {
    return JSON.parse(readFileSync(cacheFile(home), "utf8")) as Record<string, CacheEntry>;
  } catch {
    return {};
  }
}

export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => h.update(d))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

/** The file's sha256, from the cache when the file has not changed since it was hashed. */
export async function cachedSha256(file: string, home = readEnv().home): Promise<string> {
  const real = path.resolve(file);
  const st = statSync(real);
  const cache = readCache(home);
  const hit = cache[real];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const sha256 = await sha256OfFile(real);
  // re-read before writing: another process may have added entries meanwhile
  const fresh = { ...readCache(home), [real]: { size: st.size, mtimeMs: st.mtimeMs, sha256 } };
  const f = cacheFile(home);
  mkdirSync(path.dirname(f), { recursive: true });
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(fresh, null, 2)}\n`);
  renameSync(tmp, f);
  return sha256;
}
