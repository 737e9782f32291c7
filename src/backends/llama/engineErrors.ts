// node-llama-cpp's errors as hearth's typed errors.
import { HearthError } from "../../errors/HearthError.ts";

export function abortedError(): HearthError {
  return new HearthError("aborted", "the request was aborted");
}

export function engineError(e: unknown, what: string): HearthError {
  if (e instanceof HearthError) return e;
  const err = e as Error | undefined;
  const msg = err instanceof Error ? err.message : String(e);
  if (err?.name === "AbortError" || /aborted/i.test(msg)) return abortedError();
  if (/too large for the available (v)?ram/i.test(msg)) {
    return new HearthError("insufficient_memory", `not enough memory to ${what}: ${msg}`, {
      hint: "use a smaller context size, fewer parallel sequences, a smaller quant, or a GPU with more memory",
      cause: e,
    });
  }
  if (err?.name === "InsufficientMemoryError" || /insufficient memory|out of memory|failed to allocate|not enough (v)?ram/i.test(msg)) {
    return new HearthError("out_of_memory", `not enough memory to ${what}: ${msg}`, {
      hint: "use a smaller context (--ctx-size), fewer parallel sequences, fewer GPU layers or a smaller quant",
      cause: e,
    });
  }
  if (/context size is too small|context is full|exceeds the context/i.test(msg)) {
    return new HearthError("context_exceeded", `the input does not fit the context: ${msg}`, {
      hint: "shorten the input or load the model with a larger context size",
      cause: e,
    });
  }
  return new HearthError("internal", `llama: failed to ${what}: ${msg}`, { cause: e });
}
