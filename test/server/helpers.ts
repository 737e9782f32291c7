// Starts a real hearth server (buildServer) on 127.0.0.1 port 0 with its own HEARTH_HOME, and an
// official `openai` client pointed at it.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import type { FastifyInstance } from "fastify";
import { buildServer, type ServerOptions } from "../../src/server/app.ts";

/** A fresh store for this test process (the server lists and resolves models from it). */
export function useTempHome(): string {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-server-test-"));
  process.env.HEARTH_HOME = home;
  return home;
}

export interface TestServer {
  app: FastifyInstance;
  base: string;
  client: OpenAI;
  logs: string[];
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}, apiKey = options.apiKey ?? "none"): Promise<TestServer> {
  const logs: string[] = [];
  const app = await buildServer({ parallel: 2, load: { threads: 1, ...options.load }, log: (l) => logs.push(l), ...options });
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  await app.hearth.ready;
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0, timeout: 120_000 });
  return { app, base, client, logs, close: () => app.close() };
}

/** The short id `hearth serve <path>` gives a fixture file. */
export const idOf = (file: string) => path.basename(file).replace(/\.gguf$/, "");

export async function postJson(base: string, route: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
