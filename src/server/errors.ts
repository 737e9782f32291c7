// Errors on the wire in OpenAI's shape, {error: {message, type, param, code}}, with the status the
// error code maps to. One place for it, so routes, hooks and Fastify's own errors (bad JSON, body too
// large, schema validation) all answer the same way and OpenAI clients raise the right exception.
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { HearthError, httpStatusFor, isHearthError } from "../errors/HearthError.ts";
import { retryAfterOf } from "../errors/retryAfter.ts";
import { noteRequest } from "./requestNote.ts";

export { withRetryAfter } from "../errors/retryAfter.ts";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

// The request field an error is about rides beside the error, as Retry-After does (errors/retryAfter.ts).
const params = new WeakMap<object, string>();
const statuses = new WeakMap<object, number>();

/** Gives an error an HTTP status its code does not map to (403 for what the operator turned off). */
export function withStatus<E extends object>(err: E, status: number): E {
  statuses.set(err, status);
  return err;
}

/** Names the request field an error is about (OpenAI's `param`). */
export function withParam<E extends object>(err: E, param: string): E {
  if (!params.has(err)) params.set(err, param);
  return err;
}

/** A bad_input error about one request field (OpenAI's `param`). */
export function badParam(param: string, message: string, hint?: string): HearthError {
  const e = new HearthError("bad_input", message, { hint });
  params.set(e, param);
  return e;
}

function typeFor(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status < 500) return "invalid_request_error";
  return "server_error";
}

/** Status and body for any thrown value. */
export function toOpenAIError(e: unknown): { status: number; body: OpenAIErrorBody; retryAfter?: number } {
  if (isHearthError(e)) {
    const status = statuses.get(e) ?? httpStatusFor(e.code);
    return {
      status: status === 499 ? 400 : status,
      body: { error: { message: e.line, type: typeFor(status), param: params.get(e) ?? null, code: e.code } },
      retryAfter: retryAfterOf(e),
    };
  }
  const fe = e as Partial<FastifyError> & {
    validation?: Array<{ keyword?: string; instancePath?: string; params?: Record<string, unknown>; message?: string }>;
  };
  if (fe && Array.isArray(fe.validation)) {
    const v = fe.validation[0] ?? {};
    const missing = typeof v.params?.missingProperty === "string" ? `/${v.params.missingProperty}` : "";
    const param = `${v.instancePath ?? ""}${missing}`.replace(/^\//, "").replace(/\//g, ".") || null;
    const allowed = Array.isArray(v.params?.allowedValues) ? v.params.allowedValues.filter((a) => a !== null && a !== "") : undefined;
    const what =
      v.keyword === "required" ? "is required" : allowed ? `must be one of: ${allowed.join(", ")}` : (v.message ?? "is not valid");
    const message = `invalid request: ${param ?? "body"} ${what}`;
    return { status: 400, body: { error: { message, type: "invalid_request_error", param, code: "bad_input" } } };
  }
  const status = typeof fe?.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
  if (status < 500) {
    // Fastify's own request errors: bad JSON (400), body too large (413), unsupported media type (415)
    const message =
      status === 413 ? "request body is too large (send smaller media or raise --body-limit)" : (fe?.message ?? "bad request");
    return { status, body: { error: { message, type: "invalid_request_error", param: null, code: fe?.code ?? "bad_input" } } };
  }
  return {
    status,
    body: {
      error: {
        message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
        type: "server_error",
        param: null,
        code: "internal",
      },
    },
  };
}

/** Sends any error in OpenAI's shape (sets Retry-After where known). */
export function sendOpenAIError(reply: FastifyReply, e: unknown) {
  const { status, body, retryAfter: after } = toOpenAIError(e);
  noteRequest(reply.request, { errorCode: body.error.code ?? undefined });
  if (after !== undefined) reply.header("retry-after", String(after));
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}

/** The API family a path belongs to, which decides the shape of its errors. */
export type Dialect = "openai" | "anthropic" | "ollama";

export function dialectOf(url: string): Dialect {
  const path = url.split("?")[0];
  if (path === "/v1/messages" || path.startsWith("/v1/messages/")) return "anthropic";
  if (path === "/api" || path.startsWith("/api/")) return "ollama";
  return "openai";
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  503: "overloaded_error",
  529: "overloaded_error",
};

/** Status and body of an error in a dialect's shape: OpenAI's {error: {...}}, Anthropic's
 * {type: "error", error: {type, message}}, Ollama's {error: "message"}. */
export function toDialectError(e: unknown, dialect: Dialect): { status: number; body: object; retryAfter?: number; code?: string } {
  const o = toOpenAIError(e);
  const code = o.body.error.code ?? undefined;
  if (dialect === "anthropic") {
    const type = ANTHROPIC_TYPES[o.status] ?? (o.status >= 500 ? "api_error" : "invalid_request_error");
    return { ...o, code, body: { type: "error", error: { type, message: o.body.error.message } } };
  }
  if (dialect === "ollama") return { ...o, code, body: { error: o.body.error.message } };
  return { ...o, code };
}

/** Sends any error in the shape of the dialect the request's path belongs to. */
export function sendError(reply: FastifyReply, e: unknown) {
  const dialect = dialectOf(reply.request.url);
  if (dialect === "openai") return sendOpenAIError(reply, e);
  const { status, body, retryAfter: after, code } = toDialectError(e, dialect);
  noteRequest(reply.request, { errorCode: code });
  if (after !== undefined) reply.header("retry-after", String(after));
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}

/** Error and not-found handlers for the whole app: nothing a client sends reaches the default handler. */
export function installErrorHandlers(app: FastifyInstance) {
  app.setErrorHandler((err, req, reply) => {
    const { status } = toOpenAIError(err);
    if (status >= 500) req.log.error({ err }, "request failed");
    return sendError(reply, err);
  });
  app.setNotFoundHandler((req, reply) => {
    const message = `no route ${req.method} ${req.url.split("?")[0]} (see /docs for the API)`;
    const dialect = dialectOf(req.url);
    if (dialect !== "openai") return reply.code(404).send(toDialectError(new HearthError("model_not_found", message), dialect).body);
    return reply.code(404).send({ error: { message, type: "not_found_error", param: null, code: "not_found" } } satisfies OpenAIErrorBody);
  });
}
