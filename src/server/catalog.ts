// What /v1/models lists besides the models given to `hearth serve`: the store's installed models
// (one entry per downloaded quant, `org/repo:QUANT`, beside the bare name) and the models shipped in
// npm packages, from the store's own listing.
import type { ModelType, ModelFormat } from "../model/types.ts";
import { listModels } from "../store/list.ts";

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
