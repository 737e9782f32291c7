// The manifest kept beside each model in the store: models/<org>/<repo>/manifest.json.
// It is written last, after every file it marks downloaded is in place and verified, and by
// rename, so a reader sees the old manifest or the new one, never half of one.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ModelFormat, ModelType } from "../model/types.ts";
import type { ModelFacts } from "../formats/ggufFacts.ts";
import { homePaths } from "../config/env.ts";

export type { ModelFacts };

/** A file of a model repo, as the store records it. */
export interface ManifestFile {
  /** path inside the repo */
  path: string;
  size: number;
  /** sha256 from the hub's LFS oid (or computed for non-LFS files) */
  sha256?: string;
  /** git blob sha1 (the hub's oid for files not in LFS), checked when there is no sha256 */
  gitOid?: string;
  /** what the file is */
  role: "weights" | "shard" | "mmproj" | "tokenizer" | "config" | "extra";
  /** which quant it belongs to, for weights/shards */
  quant?: string;
  downloaded: boolean;
}

/** One quantisation of a model and whether it is downloaded. */
export interface QuantEntry {
  name: string; // e.g. "Q4_K_M"
  /** total bytes of its weights (all shards) */
  size: number;
  /** files (paths) that make it up, shards in order */
  files: string[];
  downloaded: boolean;
}

/** The store's record of a pulled model: the repo at a commit, its files, quants and facts. */
export interface Manifest {
  version: 1;
  /** org/repo */
  repo: string;
  commit: string;
  type: ModelType;
  format: ModelFormat;
  files: ManifestFile[];
  quants: QuantEntry[];
  facts: ModelFacts;
  /** ISO time of the last completed pull */
  pulledAt: string;
  /** the hub's pipeline tag (e.g. "text-generation"), when it has one */
  pipelineTag?: string;
}

/** Folder of a model in the store. */
export function modelDir(home: string, repo: string): string {
  const [org, name] = repo.split("/");
  return path.join(homePaths(home).models, org, name);
}

export function manifestPath(home: string, repo: string): string {
  return path.join(modelDir(home, repo), "manifest.json");
}

/** The manifest of an installed model, or undefined when there is none (or it is unreadable). */
export function readManifest(home: string, repo: string): Manifest | undefined {
  const file = manifestPath(home, repo);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
    return m.version === 1 && typeof m.repo === "string" ? m : undefined;
  } catch {
    return undefined;
  }
}

export function writeManifest(home: string, m: Manifest): void {
  const file = manifestPath(home, m.repo);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Bytes on disk of the downloaded files. */
export function downloadedBytes(m: Manifest): number {
  return m.files.filter((f) => f.downloaded).reduce((a, f) => a + f.size, 0);
}
