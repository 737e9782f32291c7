// Every environment variable hearth reads, in one place (as Ollama's envconfig does).
import os from "node:os";
import path from "node:path";

export interface HearthEnv {
  /** Root of the model store, profiles and state. HEARTH_HOME, default ~/.cache/hearth. */
  home: string;
  /** Hugging Face endpoint. HF_ENDPOINT, default https://huggingface.co. */
  hfEndpoint: string;
  /** Hugging Face access token. HF_TOKEN (or HUGGING_FACE_HUB_TOKEN). */
  hfToken: string | undefined;
  /** Server API key. HEARTH_API_KEY. */
  apiKey: string | undefined;
  /** NO_COLOR set (any value) disables colour. */
  noColor: boolean;
  /** HEARTH_DEBUG=1 prints stack traces like --verbose. */
  debug: boolean;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): HearthEnv {
  return {
    home: path.resolve(env.HEARTH_HOME || path.join(os.homedir(), ".cache", "hearth")),
    hfEndpoint: (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, ""),
    hfToken: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined,
    apiKey: env.HEARTH_API_KEY || undefined,
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== "",
    debug: env.HEARTH_DEBUG === "1",
  };
}

/** Where things live under HEARTH_HOME. */
export function homePaths(home: string) {
  return {
    home,
    models: path.join(home, "models"),
    locks: path.join(home, "locks"),
    partial: path.join(home, "partial"),
    profiles: path.join(home, "profiles"),
    state: path.join(home, "state"),
  };
}
