// What /v1/models lists besides the models given to `hearth serve`: the store's installed models
// (one entry per downloaded quant, `org/repo:QUANT`, beside the bare name) and the models shipped in
// npm packages, from the store's own listing.
import type { ModelFiles, ModelType, ModelFormat } from "../model/types.ts";
import { resolveModel } from "../resolve/resolveModel.ts";
import { listModels } from "../store/list.ts";
import type { ModelManager } from "./models.ts";

export interface CatalogModel {
  /** the name a client sends as `model` */
  id: string;
  type?: ModelType;
  format?: ModelFormat;
  quant?: string;
  /** seconds since the epoch (OpenAI's `created`) */
  created: number;
  source: "served" | "store" | "embedded";
}

export function installedCatalog(): CatalogModel[] {
  const out: CatalogModel[] = [];
  for (const m of listModels()) {
    const created = m.pulledAt ? Math.floor(Date.parse(m.pulledAt) / 1000) || 0 : 0;
    const source = m.embedded ? "embedded" : "store";
    out.push({ id: m.name, type: m.type, format: m.format, quant: m.quants.length === 1 ? m.quants[0] : undefined, created, source });
    if (m.quants.length > 1) {
      for (const q of m.quants) out.push({ id: `${m.name}:${q}`, type: m.type, format: m.format, quant: q, created, source });
    }
  }
  return out;
}

/** Every model a client may name: the served ones first, then the store's and the embedded ones. */
export function servedCatalog(manager: ModelManager): CatalogModel[] {
  const seen = new Set<string>();
  const out: CatalogModel[] = [];
  const add = (m: CatalogModel) => {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    out.push(m);
  };
  for (const c of manager.configuredNames()) add({ id: c.id, type: c.files.type, format: c.files.format, created: 0, source: "served" });
  for (const m of installedCatalog()) add(m);
  return out;
}

/** The files of a model a client names, if it is served or installed (never pulled, never a path). */
export async function installedFiles(manager: ModelManager, name: string): Promise<ModelFiles | undefined> {
  const served = manager.configuredNames().find((c) => c.id === name);
  if (served) return served.files;
  if (name.startsWith(".") || name.startsWith("/") || name.startsWith("~") || /\.(gguf|onnx)$/i.test(name)) return undefined;
  try {
    return await resolveModel(name, { pull: false });
  } catch {
    return undefined;
  }
}
