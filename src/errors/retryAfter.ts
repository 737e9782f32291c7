// How long a client should wait before retrying an error (a full queue, a model still loading, a
// memory budget in use). The hint rides beside the error rather than inside HearthError, so the
// core type stays the same for every face; the server turns it into a Retry-After header.

const retryAfter = new WeakMap<object, number>();

/** Marks an error with the seconds a caller should wait before retrying (at least 1). */
export function withRetryAfter<E extends object>(err: E, seconds: number): E {
  retryAfter.set(err, Math.max(1, Math.ceil(seconds)));
  return err;
}

/** The seconds an error was marked with, if any. */
export function retryAfterOf(err: unknown): number | undefined {
  return typeof err === "object" && err !== null ? retryAfter.get(err) : undefined;
}
