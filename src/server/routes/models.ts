// GET /v1/models and GET /v1/models/{id}: the models served from the command line, the store and
// the npm-shipped models, with type, format and quant (fields beyond OpenAI's are extensions).
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";
import { installedCatalog, type CatalogModel } from "../catalog.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { errorResponse } from "../schemas/common.ts";

export function catalog(ctx: RouteContext): CatalogModel[] {
  const seen = new Set<string>();
  const out: CatalogModel[] = [];
  const add = (m: CatalogModel) => {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    out.push(m);
  };
  for (const c of ctx.manager.configuredNames()) add({ id: c.id, type: c.files.type, format: c.files.format, created: 0, source: "served" });
  for (const m of installedCatalog()) add(m);
  return out;
}

function toOpenAI(m: CatalogModel, loaded: Set<string>) {
  return { id: m.id, object: "model", created: m.created, owned_by: "hearth", type: m.type, format: m.format, quant: m.quant, source: m.source, loaded: loaded.has(m.id) };
}

export async function modelRoutes(app: FastifyInstance, ctx: RouteContext) {
  const loadedIds = () => new Set(ctx.manager.status().filter((s) => s.state === "ready").map((s) => s.id));

  app.get("/v1/models", { schema: { summary: "List models", tags: ["openai"] } }, async () => {
    const loaded = loadedIds();
    return { object: "list", data: catalog(ctx).map((m) => toOpenAI(m, loaded)) };
  });

  // ids hold slashes and colons (org/repo:Q4_K_M), hence the wildcard
  app.get("/v1/models/*", { schema: { summary: "Describe a model", tags: ["openai"], response: { "4xx": errorResponse } } }, async (req) => {
    const id = decodeURIComponent((req.params as { "*": string })["*"]);
    const m = catalog(ctx).find((c) => c.id === id);
    if (!m) throw new HearthError("model_not_found", `model "${id}" is not served here`, { hint: "see GET /v1/models" });
    return toOpenAI(m, loadedIds());
  });
}
