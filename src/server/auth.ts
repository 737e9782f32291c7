// API-key check for every API route (/v1, Ollama's /api, llama-server's utility routes):
// `Authorization: Bearer <key>` or Anthropic's `x-api-key: <key>`, compared in constant time (both
// sides hashed first, so neither the key's content nor its length leaks through timing). Errors
// answer in the shape of the route's dialect.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { HearthError } from "../errors/HearthError.ts";
import { sendError } from "./errors.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function keyMatches(given: string | undefined, expected: string): boolean {
  return timingSafeEqual(digest(given ?? ""), digest(expected)) && given !== undefined;
}

const UTILITY_ROUTES = new Set(["/tokenize", "/detokenize", "/apply-template", "/props"]);

/** Whether a path is an API route the key guards. */
function guarded(path: string): boolean {
  return path === "/v1" || path.startsWith("/v1/") || path === "/api" || path.startsWith("/api/") || UTILITY_ROUTES.has(path);
}

export function installApiKey(app: FastifyInstance, apiKey: string) {
  app.addHook("onRequest", async (req, reply) => {
    if (!guarded(req.url.split("?")[0])) return;
    const header = req.headers.authorization;
    const m = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    const xKey = req.headers["x-api-key"];
    const given = m?.[1] ?? (typeof xKey === "string" ? xKey.trim() : undefined);
    if (!keyMatches(given, apiKey)) {
      reply.header("www-authenticate", 'Bearer realm="hearth"');
      return sendError(
        reply,
        new HearthError("unauthorized", header || xKey ? "invalid API key" : "missing API key", {
          hint: "send Authorization: Bearer <key> or x-api-key: <key> (the server's --api-key)",
        }),
      );
    }
  });
}
