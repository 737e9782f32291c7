// Typed errors. Every error a user can cause or meet carries a code, a one-line message that says
// what happened, and a hint that says what to do. Faces (CLI, server) map codes to exit codes and HTTP statuses.

/** What kind of error a `HearthError` is; the CLI maps it to an exit code and the server to an HTTP status. */
export type ErrorCode =
  | "bad_input" // malformed argument, option or request body
  | "model_not_found" // no such model in the store, on the hub or on disk
  | "quant_not_found"
  | "not_downloaded"
  | "download_failed"
  | "checksum_mismatch"
  | "insufficient_disk"
  | "insufficient_memory" // model too large for this machine
  | "out_of_memory" // allocation failed at run time
  | "busy" // another process holds the lock
  | "context_exceeded"
  | "unsupported_architecture"
  | "unsupported_task" // model cannot do what was asked (e.g. image to a text-only model)
  | "unsupported_media" // corrupt or unreadable image/audio
  | "backend_unavailable" // engine cannot load on this device
  | "runner_crashed"
  | "aborted"
  | "bad_output" // the model's answer is not the structured output asked for (StructuredOutputError)
  | "unauthorized"
  | "forbidden" // the request is refused whoever sends it (a Host header that is not this server's)
  | "queue_full"
  | "loading"
  | "regression" // a measurement got worse than a saved baseline allows (hearth bench --baseline)
  | "internal";

/** Every error hearth raises on purpose: a `code`, a one-line message saying what happened, and a `hint` saying what to do. */
export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  override readonly cause?: unknown;
  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message);
    this.name = "HearthError";
    this.code = code;
    this.hint = options.hint;
    this.cause = options.cause;
  }
  /** The one line a user sees: what happened, then what to do. */
  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
  /** The error as plain JSON (code, message, hint), as the server sends it. */
  toJSON() {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

export function isHearthError(e: unknown): e is HearthError {
  return e instanceof HearthError;
}

/** Rebuilds a HearthError that crossed a process boundary as plain JSON. */
export function errorFromJSON(j: { code?: string; message?: string; hint?: string }): HearthError {
  return new HearthError((j.code as ErrorCode) ?? "internal", j.message ?? "unknown error", { hint: j.hint });
}

/** HTTP status for an error code (OpenAI-shaped errors on the server). */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case "bad_input":
    case "quant_not_found":
    case "context_exceeded":
    case "unsupported_task":
    case "unsupported_media":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "model_not_found":
    case "not_downloaded":
      return 404;
    case "queue_full":
    case "busy":
      return 429;
    case "loading":
    case "backend_unavailable":
    case "runner_crashed":
      return 503;
    case "insufficient_memory":
    case "out_of_memory":
      return 507;
    case "aborted":
      return 499;
    default:
      return 500;
  }
}
