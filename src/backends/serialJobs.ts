// Engines whose native objects run one request at a time (sherpa-onnx, whisper.cpp): requests wait
// here in order, and the events a job emits (from the engine's callbacks) come out of run() as an
// async iterable, ending with the job.
import type { TaskEvent } from "./types.ts";

export type Emit = (e: TaskEvent) => void;

export class SerialJobs {
  private tail: Promise<unknown> = Promise.resolve();

  async *run(job: (emit: Emit) => Promise<void>): AsyncGenerator<TaskEvent> {
    const events: TaskEvent[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const done = this.tail.then(() => job((e) => { events.push(e); wake?.(); }));
    this.tail = done.catch(() => undefined);
    done.then(() => { finished = true; wake?.(); }, (e) => { failure = e; finished = true; wake?.(); });
    for (;;) {
      while (events.length) yield events.shift()!;
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    while (events.length) yield events.shift()!;
    if (failure) throw failure;
  }

  /** Resolves when every queued job has ended. */
  idle(): Promise<unknown> {
    return this.tail;
  }
}
