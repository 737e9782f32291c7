// The final text of a llama.node completion, made whole again where the engine cut it.

/**
 * llama.node 1.7.15 hands the final text to JavaScript as a C string, so it ends at the first NUL
 * the model generated, while the token callbacks carry whole pieces. Where the final text is the
 * streamed text cut just before a NUL, the streamed text is the answer; otherwise the final text is.
 */
export function uncut(final: string, streamed: string): string {
  const cut = streamed.length > final.length && streamed.startsWith(final) && streamed[final.length] === "\0";
  return cut ? streamed : final;
}
