// What chat() and complete() return: iterate for chunks, await `result` for the whole generation;
// and the plain final result of the runs that stream nothing.
import type { TaskEvent, TaskName, TaskResults } from "../model/task.ts";
import type { GenerationResult } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import type { GenerationChunk, GenerationStream } from "./types.ts";

/** Streams chunks from a backend run and resolves `result` with its final event (passed through
 * `finish` when given: structured output parses and validates there). */
export function toGenerationStream<R extends GenerationResult = GenerationResult>(
  events: () => Promise<AsyncIterable<TaskEvent>>,
  finish?: (r: GenerationResult) => Promise<R>,
): GenerationStream<R> {
  let resolve!: (r: R) => void;
  let reject!: (e: unknown) => void;
  const result = new Promise<R>((a, b) => {
    resolve = a;
    reject = b;
  });
  result.catch(() => undefined); // a consumer that only iterates still sees the error there
  let started: AsyncGenerator<GenerationChunk> | undefined;
  async function* run(): AsyncGenerator<GenerationChunk> {
    try {
      let final: GenerationResult | undefined;
      for await (const e of await events()) {
        if (e.type === "text" || e.type === "reasoning") yield e;
        else if (e.type === "tool_call") yield e;
        else if (e.type === "result") final = e.result as GenerationResult;
      }
      if (!final) throw new HearthError("internal", "the engine ended without a result");
      resolve(finish ? await finish(final) : (final as R));
    } catch (e) {
      reject(e);
      throw e;
    }
  }
  const start = () => (started ??= run());
  return {
    // reading `result` without iterating drives the stream to its end in the background
    get result() {
      if (!started)
        void (async () => {
          for await (const _ of start()) {
            /* drain */
          }
        })().catch(() => undefined);
      return result;
    },
    [Symbol.asyncIterator]: () => start(),
  };
}

/** The final result of a run that streams nothing the caller needs (embed, rerank, tokenize, state). */
export async function finalResult<T extends TaskName>(events: AsyncIterable<TaskEvent>, _task?: T): Promise<TaskResults[T]> {
  for await (const e of events) if (e.type === "result") return e.result as TaskResults[T];
  throw new HearthError("internal", "the engine ended without a result");
}
