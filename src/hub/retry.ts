// One retry policy for every request to the hub, handed to @huggingface/hub as its `fetch`: rate
// limits (429) and server errors (5xx) and dropped connections are retried with exponential backoff,
// waiting what Retry-After says when the hub says it.
import { HearthError } from "../errors/HearthError.ts";

export interface RetryInfo {
  url: string;
  attempt: number;
  /** HTTP status, or undefined for a network error */
  status?: number;
  reason: string;
  delayMs: number;
}

export interface RetryPolicy {
  /** tries after the first; default 5 */
  retries?: number;
  /** first backoff step; default 500 ms, doubled each time */
  baseDelayMs?: number;
  /** longest wait, including Retry-After; default 30 s */
  maxDelayMs?: number;
  onRetry?: (info: RetryInfo) => void;
  signal?: AbortSignal;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const PERMANENT_NETWORK = new Set([
  "ENOTFOUND",
  "ECONNREFUSED",
  "ERR_INVALID_URL",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

/** The system error code under a fetch failure ("ENOTFOUND", "ECONNRESET"...). */
function networkCode(e: unknown): string | undefined {
  const cause = e instanceof Error ? (e.cause as { code?: string } | undefined) : undefined;
  if (cause instanceof Error && /^bad port$/.test(cause.message)) return "ERR_INVALID_URL";
  return cause?.code ?? (e as { code?: string })?.code;
}

/** Delay asked by a Retry-After header (seconds or an HTTP date), in ms. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function abortError(): HearthError {
  return new HearthError("aborted", "download interrupted", { hint: "run the same pull again to resume" });
}

export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const base = policy.baseDelayMs ?? 500;
  // jitter keeps several parallel downloads from retrying in lock-step
  return Math.min(policy.maxDelayMs ?? 30_000, base * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
}

/** A fetch that retries transient failures; other responses (404, 401, 206...) come back as they are. */
export function retryingFetch(policy: RetryPolicy = {}, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const retries = policy.retries ?? 5;
    for (let attempt = 1; ; attempt++) {
      const signal = init?.signal ?? policy.signal;
      let res: Response | undefined;
      let failure: unknown;
      try {
        res = await inner(input, { ...init, signal });
      } catch (e) {
        if (signal?.aborted) throw abortError();
        // no such host, or nothing listening: waiting will not help, so say so at once
        if (PERMANENT_NETWORK.has(networkCode(e) ?? "")) throw e;
        failure = e;
      }
      if (res && !RETRY_STATUS.has(res.status)) return res;
      if (attempt > retries) {
        if (res) return res;
        throw failure;
      }
      const delayMs = Math.min(
        policy.maxDelayMs ?? 30_000,
        (res && retryAfterMs(res.headers.get("retry-after"))) ?? backoffMs(attempt, policy),
      );
      await res?.body?.cancel().catch(() => {});
      policy.onRetry?.({
        url,
        attempt,
        status: res?.status,
        reason: res
          ? `HTTP ${res.status}`
          : failure instanceof Error
            ? failure.cause instanceof Error
              ? failure.cause.message
              : failure.message
            : String(failure),
        delayMs,
      });
      await sleep(delayMs, policy.signal ?? init?.signal ?? undefined);
    }
  };
}
