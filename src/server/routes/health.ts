// GET /health (ready / loading / unhealthy, the resident models and the runtime's fallbacks) and
// GET /metrics (Prometheus text). Neither needs the API key: probes and scrapers carry none.
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";
import { fallbackHistory } from "../../runtime/events.ts";

export async function healthRoutes(app: FastifyInstance, ctx: RouteContext) {
  app.get("/health", { schema: { summary: "Server health", tags: ["server"] } }, async (_req, reply) => {
    const status = ctx.manager.health();
    return reply.code(status === "ready" ? 200 : 503).send({
      status,
      uptimeSec: Math.round(process.uptime()),
      models: ctx.manager.status(),
      preloadErrors: ctx.manager.preloadErrors(),
      fallbacks: fallbackHistory(),
      runnerExits: ctx.metrics.recentRunnerExits,
    });
  });

  app.get("/metrics", { schema: { summary: "Prometheus metrics", tags: ["server"] } }, async (_req, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
