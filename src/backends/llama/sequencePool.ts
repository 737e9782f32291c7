// The sequences of one context, lent to one request at a time. Requests beyond the number of
// sequences wait in order. A free sequence whose cached tokens share the longest prefix with the new
// prompt is preferred, so a follow-up turn of a conversation reuses its KV cache instead of
// evaluating the whole history again.
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { HearthError } from "../../errors/HearthError.ts";

interface Waiter {
  prompt?: Token[];
  resolve: (s: LlamaContextSequence) => void;
  reject: (e: unknown) => void;
}

export class SequencePool {
  private free: LlamaContextSequence[] = [];
  private waiters: Waiter[] = [];
  /** the sequence a request used last (what saveState writes) */
  lastUsed?: LlamaContextSequence;

  constructor(context: LlamaContext, count: number) {
    for (let i = 0; i < count; i++) this.free.push(context.getSequence());
  }

  acquire(prompt?: Token[], signal?: AbortSignal): Promise<LlamaContextSequence> {
    if (signal?.aborted) return Promise.reject(new HearthError("aborted", "the request was aborted"));
    if (this.free.length && this.waiters.length === 0) return Promise.resolve(this.take(prompt));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { prompt, resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) {
            this.waiters.splice(i, 1);
            reject(new HearthError("aborted", "the request was aborted while waiting for a free sequence"));
          }
        },
        { once: true },
      );
    });
  }

  release(sequence: LlamaContextSequence): void {
    this.lastUsed = sequence;
    this.free.push(sequence);
    const next = this.waiters.shift();
    if (next) next.resolve(this.take(next.prompt));
  }

  private take(prompt?: Token[]): LlamaContextSequence {
    let best = this.free.length - 1; // most recently released
    if (prompt?.length) {
      let bestShared = -1;
      for (let i = 0; i < this.free.length; i++) {
        const shared = this.free[i].compareContextTokens(prompt).firstDifferentIndex;
        if (shared > bestShared) [best, bestShared] = [i, shared];
      }
    }
    return this.free.splice(best, 1)[0];
  }

  /** Fails every waiting request (the model is being disposed). */
  rejectWaiting(error: unknown): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}
