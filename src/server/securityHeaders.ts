// Headers a local web server sends on every answer: no MIME sniffing (a JSON answer is never run as
// script), no Referer leaving for other sites, and no framing (clickjacking) — for HTML also as the
// Content-Security-Policy's frame-ancestors, which replaces X-Frame-Options in current browsers.
import type { FastifyInstance } from "fastify";

export function installSecurityHeaders(app: FastifyInstance) {
  app.addHook("onSend", async (_req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    const type = String(reply.getHeader("content-type") ?? "");
    if (type.startsWith("text/html")) {
      const csp = reply.getHeader("content-security-policy");
      if (csp === undefined) reply.header("content-security-policy", "frame-ancestors 'none'");
      else if (!/frame-ancestors/.test(String(csp))) reply.header("content-security-policy", `${csp}; frame-ancestors 'none'`);
    }
    return payload;
  });
}
