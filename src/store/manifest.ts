// The manifest kept beside each model in the store: models/<org>/<repo>/manifest.json.
import type { ModelFormat, ModelType } from "../backends/types.ts";
import type { ModelFacts } from "../formats/ggufFacts.ts";

export type { ModelFacts };

export interface ManifestFile {
  /** path inside the repo */
  path: string;
  size: number;
  /** sha256 from the hub's LFS oid (or computed for non-LFS files) */
  sha256?: string;
  /** what the file is */
  role: "weights" | "shard" | "mmproj" | "tokenizer" | "config" | "extra";
  /** which quant it belongs to, for weights/shards */
  quant?: string;
  downloaded: boolean;
}

export interface QuantEntry {
  name: string; // e.g. "Q4_K_M"
  /** total bytes of its weights (all shards) */
  size: number;
  /** files (paths) that make it up, shards in order */
  files: string[];
  downloaded: boolean;
}

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
}
