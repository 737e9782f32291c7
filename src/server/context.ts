// What every route plugin gets: the model manager, the metrics and the server's settings.
import type { ModelManager } from "./models.ts";
import type { ServerMetrics } from "./metrics.ts";

export interface RouteContext {
  manager: ModelManager;
  metrics: ServerMetrics;
  /** fetch http(s) image/audio URLs named in requests (default false) */
  allowRemoteMedia: boolean;
  /** Ollama's POST /api/pull may pull into the store (--allow-pull) */
  allowPull?: boolean;
  /** Ollama's DELETE /api/delete may remove models from the store (--allow-delete) */
  allowDelete?: boolean;
  /** seconds an idle model stays loaded (Ollama's ps shows when it expires) */
  keepAliveSec?: number;
}
