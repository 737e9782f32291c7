// DNS-rebinding defence (the attack behind Ollama's CVE-2024-28224): a page on any site can point its
// own domain at 127.0.0.1 and then talk to a loopback server as same-origin. Browsers always send the
// name they resolved in the Host header, so a server bound to loopback answers only Host names that
// mean this machine (localhost, *.localhost, loopback addresses) and those the operator allows.
// Bound to another address the check is off unless hosts are given, as the operator chose exposure.
import { isIP } from "node:net";
import type { FastifyInstance } from "fastify";
import { HearthError } from "../errors/HearthError.ts";
import { sendOpenAIError } from "./errors.ts";

export interface HostCheckOptions {
  /** the address the server binds (default 127.0.0.1) */
  bindHost?: string;
  /** further Host names to accept: exact names, "*.example.com" for subdomains, "*" for any */
  allowedHosts?: string[];
}

export function isLoopbackAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(h);
  return false;
}

/** The host name of a Host header, without its port ("[::1]:8080" -> "::1"). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.lastIndexOf(":");
  return colon >= 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}

function matches(name: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (p === "*") return true;
  if (p.startsWith("*.")) return name.endsWith(p.slice(1)) && name.length > p.length - 1;
  return hostName(p) === name;
}

/** Whether a request with this Host header may be served; undefined header (HTTP/1.0) is no browser. */
export function hostAllowed(header: string | undefined, options: HostCheckOptions): boolean {
  const allowed = options.allowedHosts ?? [];
  const bind = options.bindHost ?? "127.0.0.1";
  if (!isLoopbackAddress(bind) && allowed.length === 0) return true;
  if (header === undefined) return true;
  const name = hostName(header);
  if (isLoopbackAddress(name)) return true;
  if (name === hostName(bind)) return true; // the address the operator bound, typed as the Host
  return allowed.some((p) => matches(name, p));
}

export function installHostCheck(app: FastifyInstance, options: HostCheckOptions) {
  app.addHook("onRequest", async (req, reply) => {
    if (hostAllowed(req.headers.host, options)) return;
    return sendOpenAIError(
      reply,
      new HearthError("forbidden", `the Host "${req.headers.host}" is not this server's name`, {
        hint: "to serve this name, start hearth with --allowed-hosts <name> (or HEARTH_ALLOWED_HOSTS)",
      }),
    );
  });
}
