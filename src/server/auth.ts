// API-key check for every /v1 route and the web app's /hearth management routes: `Authorization: Bearer <key>`, compared in constant time
// (both sides hashed first, so neither the key's content nor its length leaks through timing).
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { HearthError } from "../errors/HearthError.ts";
import { sendOpenAIError } from "./errors.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function keyMatches(given: string | undefined, expected: string): boolean {
  return timingSafeEqual(digest(given ?? ""), digest(expected)) && given !== undefined;
}

/** The bearer token of a request, if it sent one. */
export function bearerOf(header: string | string[] | undefined): string | undefined {
  const m = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return m?.[1];
}

export function installApiKey(app: FastifyInstance, apiKey: string) {
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?")[0];
    // the web app's files carry no data (its login form asks for the key); /hearth/* does
    if (path !== "/v1" && !path.startsWith("/v1/") && !path.startsWith("/hearth/")) return;
    // says whether a key is needed and whether the one sent is right, as 200 (the login form's check)
    if (path === "/hearth/auth") return;
    const header = req.headers.authorization;
    if (!keyMatches(bearerOf(header), apiKey)) {
      reply.header("www-authenticate", 'Bearer realm="hearth"');
      return sendOpenAIError(
        reply,
        new HearthError("unauthorized", header ? "invalid API key" : "missing API key", { hint: "send Authorization: Bearer <key> (the server's --api-key)" }),
      );
    }
  });
}
