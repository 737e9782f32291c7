// The API key, when one is set, guards every route but /health (load balancers' probes carry no key)
// and routes that declare `config: { public: true }` (the web app's login page). A key arrives as
// `Authorization: Bearer <key>` (OpenAI, Ollama clients) or `x-api-key: <key>` (Anthropic clients),
// compared in constant time (both sides hashed first, so neither content nor length leaks). Errors
// answer in the shape of the route's dialect.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { HearthError } from "../errors/HearthError.ts";
import { sendError } from "./errors.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** served without the API key */
    public?: boolean;
  }
}

export interface ApiKeyOptions {
  apiKey: string;
  /** serve /metrics without the key, for a scraper on a trusted network */
  publicMetrics?: boolean;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

export function keyMatches(given: string | undefined, expected: string): boolean {
  return timingSafeEqual(digest(given ?? ""), digest(expected)) && given !== undefined;
}

/** The bearer token of a request, if it sent one. */
export function bearerOf(header: string | string[] | undefined): string | undefined {
  const m = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return m?.[1];
}

/** The key a request carries, from either header. */
export function requestKey(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  const bearer = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim())?.[1] : undefined;
  const xKey = req.headers["x-api-key"];
  return bearer ?? (typeof xKey === "string" && xKey !== "" ? xKey : undefined);
}

function isPublic(req: FastifyRequest, options: ApiKeyOptions): boolean {
  const path = req.url.split("?")[0];
  if (path === "/health") return true;
  if (path === "/metrics" && options.publicMetrics) return true;
  return req.routeOptions.config?.public === true;
}

export function installApiKey(app: FastifyInstance, options: ApiKeyOptions) {
  app.addHook("onRequest", async (req, reply) => {
    if (isPublic(req, options)) return;
    const given = requestKey(req);
    if (keyMatches(given, options.apiKey)) return;
    reply.header("www-authenticate", 'Bearer realm="hearth"');
    const sent = req.headers.authorization !== undefined || req.headers["x-api-key"] !== undefined;
    return sendError(
      reply,
      new HearthError("unauthorized", sent ? "invalid API key" : "missing API key", {
        hint: "send Authorization: Bearer <key> or x-api-key: <key> (the server's --api-key)",
      }),
    );
  });
}
