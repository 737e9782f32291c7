// The installed models, for `hearth list` and the server's /v1/models: every store model with at
// least one complete quant (read from its manifest), then the models shipped in npm packages.
import { existsSync, readdirSync } from "node:fs";
import type { ModelFormat, ModelType } from "../model/types.ts";
import { homePaths, readEnv } from "../config/env.ts";
import { embeddedModels } from "./embedded.ts";
import { downloadedBytes, modelDir, readManifest, type Manifest } from "./manifest.ts";

/** A model in the store (or embedded in a package). */
export interface InstalledModel {
  /** "org/repo", or the embedded model's name */
  name: string;
  embedded: boolean;
  type: ModelType;
  format: ModelFormat;
  /** downloaded quants (store models) */
  quants: string[];
  /** bytes on disk of the downloaded files (0 for embedded models: they belong to their package) */
  sizeBytes: number;
  /** folder holding the files */
  dir: string;
  description?: string;
  pulledAt?: string;
  manifest?: Manifest;
}

/** Repos ("org/repo") that have a folder in the store, complete or not. */
export function storeRepos(home: string): string[] {
  const root = homePaths(home).models;
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const org of readdirSync(root, { withFileTypes: true })) {
    if (!org.isDirectory()) continue;
    for (const repo of readdirSync(`${root}/${org.name}`, { withFileTypes: true })) {
      if (repo.isDirectory()) out.push(`${org.name}/${repo.name}`);
    }
  }
  return out.sort((a, b) => a.localeCompare(b));
}

/** The installed models and the embedded ones (as `hearth list` prints them). */
export function listModels(home: string = readEnv().home): InstalledModel[] {
  const out: InstalledModel[] = [];
  for (const repo of storeRepos(home)) {
    const m = readManifest(home, repo);
    const quants = m?.quants.filter((q) => q.downloaded).map((q) => q.name) ?? [];
    if (!m || quants.length === 0) continue;
    out.push({
      name: m.repo,
      embedded: false,
      type: m.type,
      format: m.format,
      quants,
      sizeBytes: downloadedBytes(m),
      dir: modelDir(home, repo),
      pulledAt: m.pulledAt,
      manifest: m,
    });
  }
  for (const e of embeddedModels()) {
    let dir: string;
    try {
      dir = e.files().dir;
    } catch {
      continue; // its package is not installed
    }
    if (!existsSync(dir)) continue;
    out.push({
      name: e.name,
      embedded: true,
      type: e.type,
      format: e.files().format,
      quants: [],
      sizeBytes: 0,
      dir,
      description: e.description,
    });
  }
  return out;
}
