// The sequences of one context, lent to one request at a time. Requests beyond the number of
// sequences wait in order. A free sequence whose cached tokens share the longest prefix with the new
// prompt is preferred, so a follow-up turn of a conversation reuses its KV cache instead of
// evaluating the whole history again.
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { HearthError } from "../../errors/HearthError.ts";
import { readEnv } from "../../config/env.ts";

/**
 * How many of the prompt's first tokens a sequence keeps in its cells: the longest start it shares
 * with them, but for the last token (decoded again for its logits), and none where only the first
 * token is shared. That one is the beginning-of-text token of an unrelated prompt, and a prompt
 * written after it starts one cell off ggml's flash-attention tiles on the CPU, so every query tile
 * computes one more key tile: 3-4% slower than decoding that token again (docs/benchmarks.md).
 */
export function keptStart(sequence: LlamaContextSequence, prompt: readonly Token[]): number {
  const shared = Math.min(sequence.compareContextTokens(prompt as Token[]).firstDifferentIndex, prompt.length - 1);
  return shared > 1 ? shared : 0;
}

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
    // stepping together paid where node-llama-cpp's async jobs share one libuv pool thread (llama
    // runners start so: the engine's runnerEnv): four streams in-process, 64 -> 100 tok/s; with
    // libuv's default four pool threads it cost about 10% instead (docs/benchmarks.md)
    if (count > 1 && readEnv().uvThreadpoolSize === 1) {
      const step = new Lockstep();
      for (const s of this.free) step.wrap(s);
    }
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

type Evaluate = LlamaContextSequence["evaluateWithMetadata"];

/**
 * Keeps the sequences of a context stepping together, so that each batch holds the next token of
 * every busy sequence. node-llama-cpp decodes a batch, samples each sequence (one async job each,
 * finishing one by one), and decodes again at once whatever was queued by then: the sequences
 * sampled first made the next batch without the last one, every step (four streams decoded in
 * batches of 3: 169 batches for 4 x 128 tokens). Here a sequence asks for its next token only when
 * no other sequence's token is still being decoded or sampled, so the sequences of one step all ask
 * at once. A sequence that is late (its consumer was slow) waits for the step in flight, never for
 * one that has not started, so none can wait forever.
 */
class Lockstep {
  inFlight = 0;
  waiting: (() => void)[] = [];
  /** the step ended: everyone asking now goes together, one macrotask on (the sequence that ended
   * the step comes back in microtasks and would otherwise go alone, and the others a step later) */
  releasing = false;
  /** generations under way: one alone steps freely */
  active = 0;

  whenIdle(): Promise<void> | undefined {
    if (this.active <= 1 || (this.inFlight === 0 && !this.releasing)) return undefined;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  start(): void {
    this.inFlight++;
  }

  end(): void {
    if (--this.inFlight > 0 || this.releasing) return;
    if (this.active <= 1) {
      for (const w of this.waiting.splice(0)) w();
      return;
    }
    this.releasing = true;
    setImmediate(() => {
      this.releasing = false;
      for (const w of this.waiting.splice(0)) w();
    });
  }

  wrap(sequence: LlamaContextSequence): void {
    const evaluate = sequence.evaluateWithMetadata.bind(sequence) as Evaluate;
    const step = this;
    const wrapped = (...args: Parameters<Evaluate>) => {
      const inner = evaluate(...args);
      return (async function* () {
        let input: unknown;
        step.active++;
        try {
          while (true) {
            const idle = step.whenIdle();
            if (idle) await idle;
            step.start();
            let r: Awaited<ReturnType<typeof inner.next>>;
            try {
              r = await inner.next(input as never);
            } finally {
              step.end();
            }
            if (r.done) return r.value;
            input = yield r.value;
          }
        } finally {
          step.active--;
          // the others may be waiting for this one's step
          if (step.inFlight === 0 && !step.releasing) for (const w of step.waiting.splice(0)) w();
          await inner.return(undefined as never);
        }
      })();
    };
    Object.defineProperty(sequence, "evaluateWithMetadata", { value: wrapped, configurable: true, writable: true });
  }
}
