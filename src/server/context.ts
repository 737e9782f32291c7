// What every route plugin gets: the model manager, the metrics and the server's settings.
import type { ModelManager } from "./models.ts";
import type { ServerMetrics } from "./metrics.ts";

export interface RouteContext {
  manager: ModelManager;
  metrics: ServerMetrics;
  /** fetch http(s) image/audio URLs named in requests (default false) */
  allowRemoteMedia: boolean;
}
