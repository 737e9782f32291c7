// Serves the web app (src/web, built by `npm run build:web` into dist/web) at `/`: index.html never
// cached, hashed assets under /assets/ cached for a year, each sent pre-compressed (brotli or gzip)
// when the browser takes it. A Content-Security-Policy allows script, style, fetches and media from
// this origin only (no inline script, no other origin, no framing). The files are read once at start.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

interface StaticFile {
  type: string;
  body: Buffer;
  br?: Buffer;
  gz?: Buffer;
}

/** Where the built app is: dist/web beside the compiled server (dist/server), or from the sources
 * (src/server -> dist/web). The build leaves build.json there, which src/web (the sources) has not. */
export function findWebDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, "../web"), path.resolve(here, "../../web"), path.resolve(here, "../../dist/web")];
  return candidates.find((d) => existsSync(path.join(d, "build.json")) && existsSync(path.join(d, "index.html")));
}

function readBundle(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (sub: string) => {
    for (const name of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${name.name}` : name.name;
      if (name.isDirectory()) walk(rel);
      else if (!/\.(br|gz)$/.test(name.name) && name.name !== "build.json") {
        const full = path.join(dir, rel);
        const maybe = (ext: string) => (existsSync(full + ext) ? readFileSync(full + ext) : undefined);
        files.set(`/${rel}`, {
          type: TYPES[path.extname(name.name)] ?? "application/octet-stream",
          body: readFileSync(full),
          br: maybe(".br"),
          gz: maybe(".gz"),
        });
      }
    }
  };
  walk("");
  return files;
}

function securityHeaders(reply: FastifyReply) {
  return reply
    .header("content-security-policy", CONTENT_SECURITY_POLICY)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("cross-origin-opener-policy", "same-origin");
}

function send(req: FastifyRequest, reply: FastifyReply, f: StaticFile, cache: string) {
  securityHeaders(reply).header("cache-control", cache).header("vary", "accept-encoding").type(f.type);
  const accept = String(req.headers["accept-encoding"] ?? "");
  if (f.br && /\bbr\b/.test(accept)) return reply.header("content-encoding", "br").send(f.br);
  if (f.gz && /\bgzip\b/.test(accept)) return reply.header("content-encoding", "gzip").send(f.gz);
  return reply.send(f.body);
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>hearth</title>
<h1>hearth's web app is not built</h1>
<p>Build it from the repository with <code>npm run build:web</code> (or <code>npm run build</code>), then restart <code>hearth serve</code>.
The API works without it: <code>/v1</code> (OpenAI-compatible), <code>/health</code>, <code>/docs</code>.</p>
<p>Start the server with <code>--no-ui</code> to turn the app off.</p></html>`;

export async function webAppRoutes(app: FastifyInstance, opts: { dir?: string }) {
  const dir = opts.dir ?? findWebDir();
  const files = dir ? readBundle(dir) : new Map<string, StaticFile>();
  const index = files.get("/index.html");

  const home = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!index)
      return securityHeaders(reply).code(503).header("cache-control", "no-store").type("text/html; charset=utf-8").send(NOT_BUILT);
    // the page names the current hashed assets: never reuse an old one
    return send(req, reply, index, "no-cache");
  };
  app.get("/", { schema: { hide: true }, config: { public: true } }, home);
  app.get("/index.html", { schema: { hide: true }, config: { public: true } }, home);

  app.get("/assets/*", { schema: { hide: true }, config: { public: true } }, async (req, reply) => {
    const f = files.get(`/assets/${(req.params as { "*": string })["*"]}`);
    if (!f) return securityHeaders(reply).code(404).type("text/plain; charset=utf-8").send("not found");
    // names carry a content hash: a new build gets new names, so these never go stale
    return send(req, reply, f, "public, max-age=31536000, immutable");
  });

  for (const name of ["/favicon.svg", "/favicon.ico"]) {
    const f = files.get(name);
    if (f)
      app.get(name, { schema: { hide: true }, config: { public: true } }, async (req, reply) =>
        send(req, reply, f, "public, max-age=86400"),
      );
  }
}
