// What every route plugin gets: the model manager, the metrics and the server's settings.
import type { FastifyRequest } from "fastify";
import type { ModelManager } from "./models.ts";
import type { ServerMetrics } from "./metrics.ts";

export interface RouteContext {
  manager: ModelManager;
  metrics: ServerMetrics;
  /** fetch http(s) image/audio URLs named in requests (default false) */
  allowRemoteMedia: boolean;
}

/** What the request log line shows about a request beyond method, path and status. */
export interface RequestNote {
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  /** the error code of an error reply */
  errorCode?: string;
}

const notes = new WeakMap<FastifyRequest, RequestNote>();

export function noteRequest(req: FastifyRequest, note: RequestNote) {
  notes.set(req, { ...notes.get(req), ...note });
}

export function requestNote(req: FastifyRequest): RequestNote | undefined {
  return notes.get(req);
}
