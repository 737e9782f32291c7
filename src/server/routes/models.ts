// GET /v1/models and GET /v1/models/{id}: the models served from the command line, the store and
// the npm-shipped models, with type, format and quant, and for GGUF models the context length and
// modalities as llama-server lists them (fields beyond OpenAI's are extensions).
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";
import { installedFiles, servedCatalog, type CatalogModel } from "../catalog.ts";
import { factsOf } from "../modelFacts.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { errorResponse } from "../schemas/common.ts";

/** What GET /v1/models lists: the served models, then the store's and the embedded ones. */
export const catalog = (ctx: RouteContext): CatalogModel[] => servedCatalog(ctx.manager);

// context length and modalities as llama-server lists them (`meta` holds its field names)
async function toOpenAI(ctx: RouteContext, m: CatalogModel, loaded: Set<string>) {
  const entry = {
    id: m.id,
    object: "model",
    created: m.created,
    owned_by: "hearth",
    type: m.type,
    format: m.format,
    quant: m.quant,
    source: m.source,
    loaded: loaded.has(m.id),
  };
  const files = m.format === "gguf" ? await installedFiles(ctx.manager, m.id) : undefined;
  if (!files) return entry;
  const f = await factsOf(files);
  return {
    ...entry,
    context_length: f.contextLength ?? null,
    modalities: f.modalities,
    meta: { n_ctx_train: f.contextLength ?? null, n_params: f.parameters ?? null, n_embd: f.embeddingLength ?? null, size: f.sizeBytes },
  };
}

export async function modelRoutes(app: FastifyInstance, ctx: RouteContext) {
  const loadedIds = () =>
    new Set(
      ctx.manager
        .status()
        .filter((s) => s.state === "ready")
        .map((s) => s.id),
    );

  app.get("/v1/models", { schema: { summary: "List models", tags: ["openai"] } }, async () => {
    const loaded = loadedIds();
    return { object: "list", data: await Promise.all(catalog(ctx).map((m) => toOpenAI(ctx, m, loaded))) };
  });

  // ids hold slashes and colons (org/repo:Q4_K_M), hence the wildcard
  app.get(
    "/v1/models/*",
    { schema: { summary: "Describe a model", tags: ["openai"], response: { "4xx": errorResponse } } },
    async (req) => {
      const id = decodeURIComponent((req.params as { "*": string })["*"]);
      const m = catalog(ctx).find((c) => c.id === id);
      if (!m) throw new HearthError("model_not_found", `model "${id}" is not served here`, { hint: "see GET /v1/models" });
      return toOpenAI(ctx, m, loadedIds());
    },
  );
}
