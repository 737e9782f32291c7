// Parsing and checking what users type for a store model: `org/repo[:QUANT]`. Names become folder
// paths under HEARTH_HOME, so anything that could escape the store (`..`, absolute paths, odd
// characters) is refused here, before any file or network access.
import path from "node:path";
import { HearthError } from "../errors/HearthError.ts";

export interface ModelRef {
  /** "org/repo" as the hub spells it */
  repo: string;
  org: string;
  name: string;
  /** requested quant, upper-cased (e.g. "Q4_K_M"); undefined = choose */
  quant?: string;
}

// Hugging Face repo names: letters, digits, "-", "_", "."; no leading "." and no "..".
const PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const QUANT = /^[A-Za-z0-9_.-]{1,40}$/;

/** Parses `org/repo[:QUANT]`; throws bad_input with a hint for anything else. */
export function parseModelRef(ref: string): ModelRef {
  const raw = ref.trim();
  const bad = (why: string) =>
    new HearthError("bad_input", `invalid model name "${ref}": ${why}`, {
      hint: "use org/repo or org/repo:QUANT, e.g. Qwen/Qwen3-0.6B-GGUF:Q4_K_M",
    });
  if (raw === "") throw bad("it is empty");
  if (raw.includes("..")) throw bad('".." is not allowed');
  if (path.isAbsolute(raw) || raw.startsWith("~") || raw.includes("\\")) throw bad("a path is not a model name");
  const colon = raw.indexOf(":");
  const repoPart = colon === -1 ? raw : raw.slice(0, colon);
  const quant = colon === -1 ? undefined : raw.slice(colon + 1);
  const parts = repoPart.split("/");
  if (parts.length !== 2) throw bad("expected exactly one '/' between organisation and repository");
  const [org, name] = parts;
  if (!PART.test(org) || !PART.test(name)) throw bad("only letters, digits, '.', '_' and '-' are allowed");
  if (quant !== undefined && !QUANT.test(quant)) throw bad("the quant after ':' has bad characters");
  return { repo: `${org}/${name}`, org, name, quant: quant?.toUpperCase() };
}

/** Formats a reference back as text. */
export function formatModelRef(r: Pick<ModelRef, "repo" | "quant">): string {
  return r.quant ? `${r.repo}:${r.quant}` : r.repo;
}

/**
 * Checks a file path taken from a hub listing before it becomes a path on disk: a hostile or broken
 * hub must not make hearth write outside the model's folder.
 */
export function safeRepoPath(p: string): string {
  const norm = path.posix.normalize(p);
  if (
    norm.startsWith("/") ||
    norm.startsWith("../") ||
    norm === ".." ||
    norm.split("/").includes("..") ||
    p.includes("\\") ||
    p.includes("\0")
  ) {
    throw new HearthError("download_failed", `the hub listed an unsafe file path "${p}"`, {
      hint: "report the repository; hearth will not write it",
    });
  }
  return norm;
}
