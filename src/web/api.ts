// Requests to the hearth server with its API key (kept in sessionStorage, sent as a Bearer header,
// never in a URL). A 401 tells the app to show the login form.
const KEY = "hearth.apiKey";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export const apiKey = () => sessionStorage.getItem(KEY);
export const setApiKey = (key: string | null) => (key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY));

const listeners = new Set<() => void>();
/** Called when the server refuses the key (or wants one). */
export function onUnauthorized(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

/** fetch with the key; a non-2xx answer throws an ApiError with the server's one-line message. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, { ...init, headers: authHeaders((init.headers as Record<string, string>) ?? {}) });
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    message = body?.error?.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401) for (const f of listeners) f();
  throw new ApiError(message, res.status);
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path)).json() as Promise<T>;
}

export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method: "POST" };
  if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  return (await request(path, init)).json() as Promise<T>;
}
