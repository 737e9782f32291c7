// `hearth rm <model>[:QUANT]`: removes one quant (its weight files), or the whole model. Under the
// model's lock and without waiting: removing a model another process is pulling is refused as busy.
// The manifest is rewritten before files are deleted, so a crash midway leaves orphans (which
// `clean` removes), never a manifest that lists missing files.
import { existsSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { readEnv } from "../config/env.ts";
import { HearthError } from "../errors/HearthError.ts";
import { expandAlias } from "./aliases.ts";
import { withModelLock } from "./lock.ts";
import { downloadedBytes, manifestPath, modelDir, readManifest, writeManifest } from "./manifest.ts";
import { parseModelRef } from "./names.ts";

/** What `removeModel()` removed. */
export interface RemoveResult {
  repo: string;
  /** quants removed */
  quants: string[];
  /** the whole model folder went */
  removedModel: boolean;
  freedBytes: number;
}

/** Removes a model (`org/repo`) or one quant (`org/repo:QUANT`) from the store. */
export async function removeModel(ref: string, o: { home?: string } = {}): Promise<RemoveResult> {
  const home = o.home ?? readEnv().home;
  const { repo, quant } = parseModelRef(expandAlias(ref));
  const dir = modelDir(home, repo);
  return withModelLock(home, repo, { wait: false, action: "pulled" }, async () => {
    const m = readManifest(home, repo);
    const have = m?.quants.filter((q) => q.downloaded).map((q) => q.name) ?? [];
    if (!m || have.length === 0) {
      throw new HearthError("model_not_found", `${repo} is not in the store`, { hint: "see what is installed with: hearth list" });
    }
    const dropAll = () => {
      const freedBytes = downloadedBytes(m);
      rmSync(manifestPath(home, repo), { force: true });
      rmSync(dir, { recursive: true, force: true });
      return { repo, quants: have, removedModel: true, freedBytes };
    };
    if (!quant) return dropAll();
    const q = m.quants.find((x) => x.name === quant && x.downloaded);
    if (!q) {
      throw new HearthError("quant_not_found", `${repo} has no downloaded quant "${quant}"; it has ${have.join(", ")}`, {
        hint: `remove one of those, or the whole model: hearth rm ${repo}`,
      });
    }
    if (have.length === 1) return dropAll();
    const gone = new Set(q.files);
    q.downloaded = false;
    let freedBytes = 0;
    for (const f of m.files) {
      if (gone.has(f.path) && f.downloaded) {
        f.downloaded = false;
        freedBytes += f.size;
      }
    }
    writeManifest(home, m);
    for (const p of gone) {
      const file = path.join(dir, p);
      if (existsSync(file) && statSync(file).isFile()) rmSync(file);
    }
    return { repo, quants: [q.name], removedModel: false, freedBytes };
  });
}
