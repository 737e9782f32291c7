// What the request log line shows about a request beyond method, path and status, noted by the routes
// and the error handler as the request runs.
import type { FastifyRequest } from "fastify";

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
