// Reads the relative imports of a source tree and judges them against the layer order in
// docs/architecture.md: an arrow may point to its own folder or to a lower layer, never up or
// sideways, and no chain of imports may come back to where it started.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** Layers from the bottom up; folders on one line share a layer and may not import each other. */
export const LAYERS: string[][] = [
  ["model", "errors", "config", "process"],
  ["formats"],
  ["hub"],
  ["store"],
  ["devices"],
  ["media", "streams"],
  ["vision"],
  ["backends"],
  ["resolve"],
  ["bench"],
  ["planner"],
  ["runtime"],
  ["sdk"],
  ["index.ts", "server", "web", "ai-sdk"],
  ["cli"],
];

export interface ImportEdge {
  /** paths relative to the tree's root, with / separators */
  from: string;
  to: string;
  line: number;
}

const IMPORT =
  /(?:\bimport|\bexport)\s+(?:type\s+)?(?:[\w*\s{},]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** Every relative import (static, re-export or dynamic) of every .ts file under root. */
export function readImports(root: string): ImportEdge[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) files.push(p);
    }
  };
  walk(root);
  return files.flatMap((file) => importsOf(path.relative(root, file).split(path.sep).join("/"), readFileSync(file, "utf8")));
}

export function importsOf(from: string, source: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    const to = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
    edges.push({ from, to, line: source.slice(0, m.index).split("\n").length });
  }
  return edges;
}

/** The layer a file belongs to: its first folder (or the file itself at the root). */
function unit(file: string): string {
  return file.split("/")[0];
}

function rank(u: string): number | undefined {
  const i = LAYERS.findIndex((l) => l.includes(u));
  return i < 0 ? undefined : i;
}

/** The engine folder a file under backends/ belongs to, or undefined for backends' own files. */
function engineOf(file: string): string | undefined {
  const parts = file.split("/");
  return parts[0] === "backends" && parts.length > 2 ? parts[1] : undefined;
}

/** Arrows that break the layer order, one line each ("file:line -> target: why"). */
export function layerViolations(edges: ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const a = unit(e.from);
    const b = unit(e.to);
    const ra = rank(a);
    const rb = rank(b);
    const where = `${e.from}:${e.line} -> ${e.to}`;
    if (ra === undefined) out.push(`${where}: ${a} is in no layer (add it to docs/architecture.md and LAYERS)`);
    else if (rb === undefined) out.push(`${where}: ${b} is in no layer`);
    else if (rb > ra) out.push(`${where}: points up (${a} is below ${b})`);
    else if (rb === ra && a !== b) out.push(`${where}: points sideways (${a} and ${b} share a layer)`);
    else if (a === "backends" && b === "backends") {
      // an engine uses its own folder and backends' shared interface; only the registry knows every engine
      const ea = engineOf(e.from);
      const eb = engineOf(e.to);
      if (ea && eb && ea !== eb) out.push(`${where}: the engine ${ea} imports the engine ${eb}`);
      if (!ea && eb && !e.from.endsWith("registry.ts")) out.push(`${where}: only backends/registry.ts may import an engine's folder`);
    }
  }
  return out;
}

/** Import cycles between files, each as "a -> b -> ... -> a". */
export function importCycles(edges: ImportEdge[]): string[] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const t of next.get(f) ?? []) {
      if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t].join(" -> "));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of [...next.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}
