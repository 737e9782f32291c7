// Engines whose native objects run one request at a time (sherpa-onnx, whisper.cpp): requests wait
// here in order, and the events a job emits (from the engine's callbacks) come out of run() as an
// async iterable, ending with the job.
import type { TaskEvent } from "../model/task.ts";
import { EventQueue } from "./eventQueue.ts";

export type Emit = (e: TaskEvent) => void;

export class SerialJobs {
  private tail: Promise<unknown> = Promise.resolve();

  async *run(job: (emit: Emit) => Promise<void>): AsyncGenerator<TaskEvent> {
    const events = new EventQueue();
    const done = this.tail.then(() => job((e) => events.push(e)));
    this.tail = done.catch(() => undefined);
    done.then(
      () => events.end(),
      (e) => events.end(e ?? new Error("the job failed")),
    );
    yield* events.drain();
  }

  /** Resolves when every queued job has ended. */
  idle(): Promise<unknown> {
    return this.tail;
  }
}
