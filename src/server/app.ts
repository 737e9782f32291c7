// The OpenAI-compatible server as a Fastify instance: buildServer(options) returns it unstarted, so
// `hearth serve` listens on 127.0.0.1:18181 and tests listen on port 0. Cross-cutting concerns are
// hooks and plugins (auth, CORS, errors, logging, metrics); each route family is its own plugin.
import os from "node:os";
import Fastify, { type FastifyInstance } from "fastify";
import cors from "@fastify/cors";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { ModelManager, type ModelManagerOptions } from "./models.ts";
import { HearthError } from "../errors/HearthError.ts";
import { ServerMetrics } from "./metrics.ts";
import { installErrorHandlers } from "./errors.ts";
import { installApiKey } from "./auth.ts";
import { installHostCheck } from "./hostCheck.ts";
import { installSecurityHeaders } from "./securityHeaders.ts";
import { installRequestMemory, RequestMemory } from "./requestMemory.ts";
import type { RouteContext } from "./context.ts";
import { requestNote } from "./requestNote.ts";
import { chatRoutes } from "./routes/chat.ts";
import { completionRoutes } from "./routes/completions.ts";
import { embeddingRoutes } from "./routes/embeddings.ts";
import { modelRoutes } from "./routes/models.ts";
import { healthRoutes } from "./routes/health.ts";
import { audioRoutes } from "./routes/audio.ts";
import { speechRoutes } from "./routes/speech.ts";
import { cvRoutes } from "./routes/cv.ts";
import { imageRoutes } from "./routes/images.ts";
import { messagesRoutes } from "./routes/messages.ts";
import { responsesRoutes } from "./routes/responses.ts";
import { ollamaRoutes } from "./routes/ollama.ts";
import { llamaServerRoutes } from "./routes/llamaServer.ts";
import { manageRoutes } from "./routes/manage.ts";
import { webAppRoutes } from "./webApp.ts";

export interface ServerOptions extends ModelManagerOptions {
  /** models to load at start (refs as a user types them: store names, aliases, paths) */
  models?: string[];
  /** multimodal projector for the first model given by path (a local VLM is two files) */
  mmproj?: string;
  /** require the key (`Authorization: Bearer` or `x-api-key`) on every route but /health */
  apiKey?: string;
  /** with apiKey: serve /metrics without the key (a scraper on a trusted network) */
  publicMetrics?: boolean;
  /** the address the server will bind (default 127.0.0.1): bound to loopback, only Host names of this
   * machine and allowedHosts are served (DNS-rebinding defence) */
  host?: string;
  /** further Host names to serve: exact, "*.example.com", or "*" for any */
  allowedHosts?: string[];
  /** request bodies held at once (queued and running) before 429 (default 10% of RAM, at most 2 GiB) */
  requestMemoryBytes?: number;
  /** origins allowed by CORS ("*" for any); CORS is off when empty */
  corsOrigins?: string[];
  /** largest request body in bytes (default 50 MiB: images travel base64 inside JSON) */
  bodyLimitBytes?: number;
  /** fetch http(s) image/audio URLs named in requests (default false) */
  allowRemoteMedia?: boolean;
  /** let Ollama's DELETE /api/delete remove models from the store (default false) */
  allowDelete?: boolean;
  /** serve the web app at `/` (default true; `hearth serve --no-ui` turns it off) */
  ui?: boolean;
  /** where the built web app is (default: dist/web, found beside the server's code) */
  webDir?: string;
  /** one line per request and per model load/unload (default: none) */
  log?: (line: string) => void;
}

declare module "fastify" {
  interface FastifyInstance {
    /** the server's model manager (load state, for the CLI and tests) */
    hearth: { manager: ModelManager; metrics: ServerMetrics; ready: Promise<void> };
  }
}

function defaultRequestMemory(): number {
  return Math.min(2 * 2 ** 30, Math.floor(os.totalmem() * 0.1));
}

export async function buildServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? 50 * 1024 * 1024,
    logger: false,
    // strict types: "5" is not a number; unknown fields pass through untouched
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, allowUnionTypes: true } },
  });
  const manager = new ModelManager(options);
  let mmproj = options.mmproj;
  for (const ref of options.models ?? []) {
    await manager.register(ref, { mmproj: mmproj && ref.endsWith(".gguf") ? mmproj : undefined });
    if (ref.endsWith(".gguf")) mmproj = undefined;
  }
  if (mmproj)
    throw new HearthError("bad_input", "--mmproj needs a .gguf model path to pair with", {
      hint: "hearth serve model.gguf --mmproj mmproj.gguf",
    });
  const metrics = new ServerMetrics(manager);
  const ctx: RouteContext = {
    manager,
    metrics,
    allowRemoteMedia: options.allowRemoteMedia ?? false,
    allowPull: options.allowPull ?? false,
    allowDelete: options.allowDelete ?? false,
    keepAliveSec: options.keepAliveSec ?? 300,
  };

  installErrorHandlers(app);
  installSecurityHeaders(app);
  installHostCheck(app, { bindHost: options.host, allowedHosts: options.allowedHosts });
  await app.register(swagger, {
    openapi: {
      info: {
        title: "hearth",
        description:
          "On-device inference speaking the APIs clients use: OpenAI (chat completions, Responses, embeddings, audio), Anthropic Messages, Ollama's API and llama-server's utility routes. Each is a thin translation onto the same models, generation and streaming.",
        version: "0.1.0",
      },
      tags: [
        {
          name: "openai",
          description: "OpenAI's API under /v1: chat completions, Responses (nothing stored), completions, embeddings, models, audio",
        },
        {
          name: "anthropic",
          description:
            'Anthropic\'s Messages API: /v1/messages and count_tokens; errors as {type: "error", error: {type, message}}; x-api-key accepted',
        },
        {
          name: "ollama",
          description:
            'Ollama\'s API under /api (NDJSON streams); names as name:tag, ":latest" dropped; pull needs --allow-pull, delete --allow-delete; errors as {error}',
        },
        { name: "llama.cpp", description: "llama-server's utility routes: /tokenize, /detokenize, /apply-template, /props" },
      ],
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer" }, apiKey: { type: "apiKey", in: "header", name: "x-api-key" } },
      },
      security: options.apiKey ? [{ bearer: [] }, { apiKey: [] }] : [],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  if (options.corsOrigins?.length) {
    await app.register(cors, { origin: options.corsOrigins.includes("*") ? true : options.corsOrigins, maxAge: 600 });
  }
  if (options.apiKey) installApiKey(app, { apiKey: options.apiKey, publicMetrics: options.publicMetrics });
  installRequestMemory(app, new RequestMemory(options.requestMemoryBytes ?? defaultRequestMemory()));

  const starts = new WeakMap<object, number>();
  app.addHook("onRequest", async (req) => {
    starts.set(req, performance.now());
  });
  app.addHook("onResponse", async (req, reply) => {
    const ms = performance.now() - (starts.get(req) ?? performance.now());
    const route = req.routeOptions.url ?? "unmatched";
    const status = reply.statusCode;
    const note = requestNote(req);
    metrics.requests.inc({ method: req.method, route, status: String(status) });
    metrics.requestSeconds.observe({ route }, ms / 1000);
    if (status >= 400) metrics.errors.inc({ route, status: String(status), code: note?.errorCode ?? "" });
    if (options.log) {
      const model = note?.model ? ` model=${note.model}` : "";
      const tokens = note?.promptTokens !== undefined ? ` tokens=${note.promptTokens}/${note.completionTokens ?? 0}` : "";
      const err = note?.errorCode ? ` error=${note.errorCode}` : "";
      options.log(`${req.method} ${req.url.split("?")[0]} ${status} ${ms.toFixed(0)}ms${model}${tokens}${err}`);
    }
  });

  await app.register(chatRoutes, ctx);
  await app.register(completionRoutes, ctx);
  await app.register(embeddingRoutes, ctx);
  await app.register(modelRoutes, ctx);
  await app.register(healthRoutes, ctx);
  await app.register(audioRoutes, { ...ctx, maxUploadBytes: options.bodyLimitBytes });
  await app.register(speechRoutes, { ...ctx, maxUploadBytes: options.bodyLimitBytes });
  await app.register(cvRoutes, { ...ctx, maxUploadBytes: options.bodyLimitBytes });
  await app.register(imageRoutes, { ...ctx, maxUploadBytes: options.bodyLimitBytes });
  await app.register(responsesRoutes, ctx);
  await app.register(messagesRoutes, ctx);
  await app.register(ollamaRoutes, ctx);
  await app.register(llamaServerRoutes, ctx);
  await app.register(manageRoutes, { ...ctx, device: options.load?.device, backend: options.load?.backend, apiKey: options.apiKey });
  if (options.ui ?? true) await app.register(webAppRoutes, { dir: options.webDir });
  // further route plugins (vision, speech) register here, one line each, with ctx

  app.addHook("onClose", async () => {
    metrics.close();
    await manager.close();
  });
  app.decorate("hearth", { manager, metrics, ready: manager.preload() });
  return app;
}
