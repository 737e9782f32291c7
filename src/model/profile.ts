// The profile every result carries (as NexaSDK does): where the time went.

/** Where the time of a request went; every result carries one. */
export interface Profile {
  /** milliseconds from the request to the first generated token (or first output) */
  ttftMs?: number;
  /** prompt tokens per second during prefill */
  prefillTokensPerSec?: number;
  /** generated tokens per second after the first token */
  decodeTokensPerSec?: number;
  promptTokens?: number;
  generatedTokens?: number;
  /** wall time of the whole request, ms */
  totalMs: number;
  /** audio: processing time / audio duration */
  realTimeFactor?: number;
  /** where it ran, e.g. "llama/cpu" */
  device?: string;
}
