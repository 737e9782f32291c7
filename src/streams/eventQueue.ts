// A push queue read as an async iterator: engine callbacks (or a runner's IPC messages) push
// events, LoadedModel.run() pulls them. One for every engine, the runner proxy and the SDK's
// streams (TTS audio chunks).
import type { TaskEvent } from "../model/task.ts";

export class EventQueue<T = TaskEvent> {
  private items: T[] = [];
  private waiting?: () => void;
  private done = false;
  private error?: unknown;

  push(e: T): void {
    this.items.push(e);
    this.waiting?.();
  }

  end(error?: unknown): void {
    this.done = true;
    this.error = error;
    this.waiting?.();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.done) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((r) => (this.waiting = r));
      this.waiting = undefined;
    }
  }
}
