// `hearth serve [model...]`: the OpenAI-compatible server on 127.0.0.1:18181. Models named here are
// resolved at once (a bad name fails the start) and loaded in the background (/health says loading).
import type { Command } from "commander";
import type { CommandModule } from "../command.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readEnv } from "../../config/env.ts";
import { buildServer, type ServerOptions } from "../../server/app.ts";
import { isLoopbackAddress } from "../../server/hostCheck.ts";
import type { DeviceKind } from "../../model/types.ts";

interface ServeFlags {
  host: string;
  port: string;
  keepAlive: string;
  parallel: string;
  queue: string;
  memoryBudget?: string;
  maxModels?: string;
  apiKey?: string;
  publicMetrics?: boolean;
  allowedHosts?: string;
  requestMemory?: string;
  corsOrigin?: string;
  bodyLimit: string;
  allowRemoteMedia?: boolean;
  allowPull?: boolean;
  allowDelete?: boolean;
  threads?: string;
  ctxSize?: string;
  mmproj?: string;
  device?: string;
  backend?: string;
  seed?: string;
  inProcess?: boolean;
  json?: boolean;
  quiet?: boolean;
  ui: boolean;
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
};

/** "8GiB", "512MB", "1e9" -> bytes. */
export function parseBytes(text: string, flag: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new HearthError("bad_input", `${flag} "${text}" is not a size`, { hint: "e.g. 8GiB, 512MB or a number of bytes" });
  return Math.floor(Number(m[1]) * unit);
}

function int(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new HearthError("bad_input", `${flag} "${text}" must be a whole number of at least ${min}`, {
      hint: `e.g. ${flag} ${Math.max(min, 1)}`,
    });
  return n;
}

export default {
  register(program: Command) {
    program
      .command("serve")
      .description("serve models over an OpenAI-compatible HTTP API (chat, completions, embeddings, rerank, audio)")
      .argument("[models...]", "models to load at start: store names, aliases or paths (others load on first use)")
      .option("--host <host>", "address to bind (0.0.0.0 exposes the server to the network)", "127.0.0.1")
      .option("--port <port>", "port", "18181")
      .option("--keep-alive <seconds>", "unload a model after this many idle seconds (-1: never)", "300")
      .option("--parallel <n>", "requests decoded together per model", "4")
      .option("--queue <n>", "requests waiting per model before 429", "512")
      .option("--request-memory <size>", "request bodies held at once before 429 (default 10% of RAM, at most 2GiB)")
      .option("--memory-budget <size>", "memory all resident models may take (default 75% of RAM)")
      .option("--max-models <n>", "most models resident at once")
      .option("--api-key <key>", "require the key (Authorization: Bearer or x-api-key) on every route but /health (or HEARTH_API_KEY)")
      .option("--public-metrics", "with --api-key: serve /metrics without the key (a scraper on a trusted network)")
      .option(
        "--allowed-hosts <names>",
        'further Host names to answer, comma-separated ("*.example.com", "*" for any; or HEARTH_ALLOWED_HOSTS)',
      )
      .option("--cors-origin <origins>", 'allow these browser origins, comma-separated ("*" for any); CORS is off by default')
      .option("--body-limit <size>", "largest request body", "50MiB")
      .option("--allow-remote-media", "fetch http(s) image and audio URLs named in requests")
      .option("--allow-pull", "pull models a request names that are not in the store (and allow Ollama's POST /api/pull)")
      .option("--allow-delete", "allow Ollama's DELETE /api/delete to remove models from the store")
      .option("--mmproj <file>", "multimodal projector for the first .gguf model (serves it as a vision/audio model)")
      .option("--threads <n>", "compute threads per model (default: physical cores)")
      .option("--ctx-size <n>", "context size per model")
      .option("--device <device>", "cpu, gpu, npu or auto", "auto")
      .option("--backend <name>", "force an engine")
      .option("--seed <n>", "sampling seed for requests that name none (0-4294967295): the same request, the same answer (default: random)")
      .option(
        "--in-process",
        "run models in the server's process where their engine allows: no hop to a runner process (sooner first tokens), but an engine crash stops the server",
      )
      .option("--no-ui", "do not serve the web app at /")
      .option("--json", "log as JSON lines")
      .option("--quiet", "no request log")
      .action(async (models: string[], flags: ServeFlags) => {
        const port = int(flags.port, "--port", 0);
        if (port > 65535) throw new HearthError("bad_input", `--port ${port} is out of range`, { hint: "use 1-65535" });
        const keepAlive = Number(flags.keepAlive);
        if (!Number.isFinite(keepAlive))
          throw new HearthError("bad_input", `--keep-alive "${flags.keepAlive}" is not a number of seconds`, {
            hint: "e.g. --keep-alive 300, or -1 for never",
          });
        const device = flags.device as DeviceKind | "auto";
        if (!["cpu", "gpu", "npu", "auto"].includes(device))
          throw new HearthError("bad_input", `--device "${flags.device}" is not cpu, gpu, npu or auto`, {
            hint: "omit it to let hearth choose",
          });
        const seed = flags.seed === undefined ? undefined : int(flags.seed, "--seed", 0);
        if (seed !== undefined && seed > 0xffffffff)
          throw new HearthError("bad_input", `--seed ${flags.seed} is out of range`, {
            hint: "use 0-4294967295 (the engines' seeds are 32-bit)",
          });
        const log = (line: string) => {
          if (flags.quiet) return;
          process.stderr.write(
            flags.json ? `${JSON.stringify({ time: new Date().toISOString(), msg: line })}\n` : `${new Date().toISOString()} ${line}\n`,
          );
        };
        const options: ServerOptions = {
          models,
          mmproj: flags.mmproj,
          keepAliveSec: keepAlive,
          parallel: int(flags.parallel, "--parallel", 1),
          queueLimit: int(flags.queue, "--queue", 0),
          memoryBudgetBytes: flags.memoryBudget ? parseBytes(flags.memoryBudget, "--memory-budget") : undefined,
          maxLoadedModels: flags.maxModels ? int(flags.maxModels, "--max-models", 1) : undefined,
          apiKey: flags.apiKey ?? readEnv().apiKey,
          publicMetrics: flags.publicMetrics ?? false,
          host: flags.host,
          allowedHosts:
            flags.allowedHosts !== undefined
              ? flags.allowedHosts
                  .split(",")
                  .map((h) => h.trim())
                  .filter(Boolean)
              : readEnv().allowedHosts,
          requestMemoryBytes: flags.requestMemory ? parseBytes(flags.requestMemory, "--request-memory") : undefined,
          corsOrigins: flags.corsOrigin
            ?.split(",")
            .map((o) => o.trim())
            .filter(Boolean),
          bodyLimitBytes: parseBytes(flags.bodyLimit, "--body-limit"),
          allowRemoteMedia: flags.allowRemoteMedia ?? false,
          allowPull: flags.allowPull ?? false,
          allowDelete: flags.allowDelete ?? false,
          ui: flags.ui,
          seed,
          load: {
            threads: flags.threads ? int(flags.threads, "--threads", 1) : undefined,
            contextSize: flags.ctxSize ? int(flags.ctxSize, "--ctx-size", 16) : undefined,
            device,
            backend: flags.backend,
            isolate: flags.inProcess ? false : undefined,
          },
          log,
        };
        const app = await buildServer(options);
        let url: string;
        try {
          url = await app.listen({ host: flags.host, port });
        } catch (e) {
          await app.close();
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "EADDRINUSE")
            throw new HearthError("busy", `port ${port} on ${flags.host} is in use`, {
              hint: "stop the other server or pick another --port",
            });
          if (code === "EACCES")
            throw new HearthError("bad_input", `no permission to bind ${flags.host}:${port}`, { hint: "use a port above 1023" });
          throw e;
        }
        const served = app.hearth.manager.configuredNames().map((m) => m.id);
        process.stdout.write(
          `hearth serving on ${url} (${flags.ui ? `web app ${url}/, ` : ""}OpenAI base URL ${url}/v1${options.apiKey ? ", API key required" : ""})${served.length ? ` models: ${served.join(", ")}` : ""}\n`,
        );
        if (!isLoopbackAddress(flags.host) && !options.apiKey) {
          // a warning even under --quiet: it is about safety, not traffic
          process.stderr.write(
            `warning: listening on ${flags.host} without --api-key: anyone who can reach this port can run every model, read their answers and fill this machine's memory and disk; set --api-key (or HEARTH_API_KEY), or bind 127.0.0.1\n`,
          );
        }
        let stopping = false;
        const stop = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          log(`${signal}: shutting down`);
          await app.close();
          process.exit(0);
        };
        process.once("SIGINT", () => void stop("SIGINT"));
        process.once("SIGTERM", () => void stop("SIGTERM"));
        void app.hearth.ready.then(() => {
          if (served.length) log(`models ready: ${app.hearth.manager.health()}`);
        });
      });
  },
} satisfies CommandModule;
