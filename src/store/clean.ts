// `hearth clean`: reclaims what interrupted or abandoned work left behind: partial downloads,
// stale locks (of processes that died), and files in a model's folder that its manifest does not
// list as downloaded (or model folders with no manifest at all). Models being pulled right now (a
// live lock) are left alone.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { homePaths, readEnv } from "../config/env.ts";
import { isLocked, lockPaths } from "./lock.ts";
import { modelDir, readManifest } from "./manifest.ts";
import { storeRepos } from "./list.ts";

/** What `cleanStore()` removed. */
export interface CleanResult {
  partialFiles: string[];
  staleLocks: string[];
  orphanFiles: string[];
  freedBytes: number;
  /** models skipped because a live process holds their lock */
  skippedBusy: string[];
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

function sizeOf(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

/** Removes empty folders below `root` (not root itself). */
function pruneEmpty(root: string): void {
  if (!existsSync(root)) return;
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = path.join(root, e.name);
    pruneEmpty(p);
    if (readdirSync(p).length === 0) rmSync(p, { recursive: true, force: true });
  }
}

/** Removes leftovers from the store: partial downloads no pull is resuming, and incomplete models. */
export async function cleanStore(o: { home?: string } = {}): Promise<CleanResult> {
  const home = o.home ?? readEnv().home;
  const paths = homePaths(home);
  const r: CleanResult = { partialFiles: [], staleLocks: [], orphanFiles: [], freedBytes: 0, skippedBusy: [] };
  const drop = (file: string, list: string[]) => {
    r.freedBytes += sizeOf(file);
    rmSync(file, { force: true });
    list.push(path.relative(home, file));
  };

  // partial/<org>/<repo>/...: per model, so a pull in progress keeps its files
  const partialRepos = existsSync(paths.partial)
    ? readdirSync(paths.partial, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .flatMap((org) =>
          readdirSync(path.join(paths.partial, org.name), { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => `${org.name}/${e.name}`),
        )
    : [];
  const repos = new Set([...storeRepos(home), ...partialRepos]);
  for (const repo of repos) {
    if (await isLocked(home, repo)) {
      r.skippedBusy.push(repo);
      continue;
    }
    for (const f of walk(path.join(paths.partial, ...repo.split("/")))) drop(f, r.partialFiles);
    const dir = modelDir(home, repo);
    const m = readManifest(home, repo);
    const keep = new Set((m?.files ?? []).filter((f) => f.downloaded).map((f) => path.join(dir, f.path)));
    if (m && keep.size > 0) keep.add(path.join(dir, "manifest.json"));
    for (const f of walk(dir)) if (!keep.has(f)) drop(f, r.orphanFiles);
  }
  // anything else under partial/ (not in an org/repo folder) is left over too
  for (const f of walk(paths.partial)) {
    const rel = path.relative(paths.partial, f).split(path.sep);
    if (rel.length !== 3) drop(f, r.partialFiles);
  }

  // stale locks: a lock folder whose holder stopped refreshing it
  if (existsSync(paths.locks)) {
    for (const e of readdirSync(paths.locks)) {
      if (!e.endsWith(".lock")) continue;
      const repo = e.slice(0, -".lock".length).replace("--", "/");
      if (await isLocked(home, repo)) continue;
      rmSync(lockPaths(home, repo).lockfilePath, { recursive: true, force: true });
      r.staleLocks.push(path.relative(home, path.join(paths.locks, e)));
    }
  }
  pruneEmpty(paths.models);
  pruneEmpty(paths.partial);
  return r;
}
