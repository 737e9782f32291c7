// The web app's management routes under /hearth/ (not /v1, which is OpenAI's, nor /api, which is
// Ollama's): the models in the store and which are loaded, load and unload, a model's plan with its
// reasons and ranked alternatives (`hearth plan --json`), the devices (`hearth devices --json`) and
// the fallbacks that happened. They sit behind the same API key as /v1 (see auth.ts).
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";
import { catalog } from "./models.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readEnv } from "../../config/env.ts";
import { looksLikePath, resolveModel } from "../../resolve/resolveModel.ts";
import { planModel } from "../../runtime/planModel.ts";
import { describeMachine } from "../../runtime/machine.ts";
import { engineDescriptors } from "../../runtime/engines.ts";
import { devicesReport, planReport } from "../../runtime/reports.ts";
import { fallbackHistory } from "../../runtime/events.ts";
import { errorResponse } from "../schemas/common.ts";
import { bearerOf, keyMatches } from "../auth.ts";
import type { DeviceKind } from "../../model/types.ts";

export interface ManageRoutesOptions extends RouteContext {
  /** the device and engine the operator forced (`hearth serve --device/--backend`), so the plan shown is the one used */
  device?: DeviceKind | "auto";
  backend?: string;
  /** the server's API key, if it has one (GET /hearth/auth says whether a request's key is right) */
  apiKey?: string;
}

const idParam = { type: "object", properties: { id: { type: "string", minLength: 1 } }, required: ["id"] } as const;

export async function manageRoutes(app: FastifyInstance, ctx: ManageRoutesOptions) {
  // the one /hearth route without the key: the login form asks it, so a wrong key is not a failed request
  // public: the login form asks it before it has a key (it says only whether a key is needed and right)
  app.get(
    "/hearth/auth",
    { schema: { summary: "Whether an API key is needed, and whether the one sent is right", tags: ["hearth"] }, config: { public: true } },
    async (req) => {
      if (!ctx.apiKey) return { required: false, valid: true };
      return { required: true, valid: keyMatches(bearerOf(req.headers.authorization), ctx.apiKey) };
    },
  );

  app.get("/hearth/models", { schema: { summary: "Models in the store and which are loaded", tags: ["hearth"] } }, async () => {
    const status = new Map(ctx.manager.status().map((s) => [s.id, s]));
    const listed = catalog(ctx).map((m) => ({ ...m, status: status.get(m.id) ?? null }));
    // a model loaded by a name the catalog lists differently (an alias) still shows
    for (const [id, s] of status)
      if (!listed.some((m) => m.id === id)) listed.push({ id, type: s.type, created: 0, source: "store", status: s });
    return { models: listed };
  });

  // ids hold slashes and colons (org/repo:Q4_K_M): clients encode them (encodeURIComponent)
  app.post(
    "/hearth/models/:id/load",
    { schema: { summary: "Load a model now", tags: ["hearth"], params: idParam, response: { "4xx": errorResponse } } },
    async (req) => {
      const { id } = req.params as { id: string };
      return { model: await ctx.manager.loadByName(id) };
    },
  );

  app.post(
    "/hearth/models/:id/unload",
    { schema: { summary: "Unload a model", tags: ["hearth"], params: idParam, response: { "4xx": errorResponse } } },
    async (req) => {
      const { id } = req.params as { id: string };
      if (!(await ctx.manager.unloadByName(id)))
        throw new HearthError("model_not_found", `model "${id}" is not loaded`, { hint: "see GET /hearth/models" });
      return { unloaded: id };
    },
  );

  app.get(
    "/hearth/plan",
    {
      schema: {
        summary: "Where and how a model runs, why, and the ranked alternatives (hearth plan --json)",
        tags: ["hearth"],
        querystring: { type: "object", properties: { model: { type: "string", minLength: 1 } }, required: ["model"] },
        response: { "4xx": errorResponse },
      },
    },
    async (req) => {
      const { model } = req.query as { model: string };
      const files = ctx.manager.configuredFiles(model)?.files ?? (await filesOf(model));
      const home = readEnv().home;
      const r = await planModel(files, { home, device: ctx.device, backend: ctx.backend });
      return planReport(model, files, r, home);
    },
  );

  app.get(
    "/hearth/devices",
    { schema: { summary: "This machine's devices and the engines usable on each (hearth devices --json)", tags: ["hearth"] } },
    async () => {
      return devicesReport(await describeMachine({ home: readEnv().home, descriptors: await engineDescriptors() }));
    },
  );

  app.get(
    "/hearth/fallbacks",
    { schema: { summary: "Models moved to another engine or device, and runner exits", tags: ["hearth"] } },
    async () => {
      return { fallbacks: fallbackHistory(), runnerExits: ctx.metrics.recentRunnerExits };
    },
  );
}

async function filesOf(name: string) {
  // as everywhere on the server: a client's name never opens a file on the server's disk
  if (looksLikePath(name))
    throw new HearthError("model_not_found", `model "${name}" is not served here`, { hint: "name a model from GET /hearth/models" });
  try {
    return await resolveModel(name, { pull: false });
  } catch (e) {
    if (e instanceof HearthError && e.code === "model_not_found") {
      throw new HearthError("model_not_found", `model "${name}" is not served here`, { hint: "name a model from GET /hearth/models" });
    }
    throw e;
  }
}
