// A loaded text generation model: one context with `parallel` sequences; chat and complete.
import { existsSync, statSync } from "node:fs";
import type { LlamaContext, LlamaModel } from "node-llama-cpp";
import type { LoadedModel, LoadedModelInfo } from "../types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { EventQueue } from "../../streams/eventQueue.ts";
import { runChat, runComplete } from "./generate.ts";
import { changeCells, type Engine } from "./engine.ts";
import { engineError } from "./engineErrors.ts";
import { detokenize, render, tokenize } from "./tokenizer.ts";

export class LlamaTextModel implements LoadedModel {
  private disposed = false;
  private running = new Set<Promise<unknown>>();

  constructor(
    private engine: Engine,
    readonly info: LoadedModelInfo,
  ) {}

  run(request: TaskRequest, signal?: AbortSignal): AsyncIterable<TaskEvent> {
    const q = new EventQueue();
    const start = async () => {
      if (this.disposed) throw new HearthError("bad_input", "the model was disposed", { hint: "load it again" });
      if (request.task === "chat") return runChat(this.engine, request, q, signal);
      if (request.task === "complete") return runComplete(this.engine, request, q, signal);
      if (request.task === "tokenize")
        return q.push({ type: "result", task: "tokenize", result: { tokens: tokenize(this.engine, request.text, request.addSpecial) } });
      if (request.task === "detokenize")
        return q.push({ type: "result", task: "detokenize", result: detokenize(this.engine, request.tokens) });
      if (request.task === "render")
        return q.push({ type: "result", task: "render", result: render(this.engine, request.messages, request.tools) });
      if (request.task === "state") {
        const bytes = request.action === "save" ? await this.saveState(request.file) : await this.loadState(request.file);
        return q.push({ type: "result", task: "state", result: { bytes } });
      }
      throw new HearthError("unsupported_task", `this text generation model cannot run task "${request.task}"`, {
        hint:
          request.task === "embed" || request.task === "rerank"
            ? "load an embedding or reranking model for it"
            : "it runs chat and complete",
      });
    };
    const job = start().then(
      () => q.end(),
      (e) => q.end(e),
    );
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
    return q.drain();
  }

  /** Saves the KV cache (and tokens) of the sequence used last; a later loadState restores it. */
  private async saveState(file: string): Promise<number> {
    const sequence = this.engine.pool.lastUsed;
    if (!sequence)
      throw new HearthError("bad_input", "nothing to save yet: no request has run on this model", {
        hint: "run a chat or completion first",
      });
    try {
      const { fileSize } = await changeCells(this.engine, () => sequence.saveStateToFile(file));
      return fileSize;
    } catch (e) {
      throw engineError(e, `save the state to ${file}`);
    }
  }

  /** Loads a saved KV cache into a free sequence: the next request that starts with the same tokens reuses it. */
  private async loadState(file: string): Promise<number> {
    if (!existsSync(file)) throw new HearthError("bad_input", `no state file at ${file}`, { hint: "check the path" });
    const sequence = await this.engine.pool.acquire();
    try {
      await changeCells(this.engine, () => sequence.loadStateFromFile(file, { acceptRisk: true }));
      return statSync(file).size;
    } catch (e) {
      await changeCells(this.engine, () => sequence.clearHistory()).catch(() => undefined);
      const err = engineError(e, `load the state from ${file}`);
      throw err.code === "internal"
        ? new HearthError("bad_input", `${file} is not a state saved from this model: ${(e as Error).message}`, {
            hint: "save it again with this model",
            cause: e,
          })
        : err;
    } finally {
      this.engine.pool.release(sequence);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.pool.rejectWaiting(new HearthError("aborted", "the model was disposed"));
    await Promise.allSettled([...this.running]);
    await this.engine.context.dispose();
    await this.engine.model.dispose();
  }
}

export function memoryBytes(model: LlamaModel, context?: { stateSize: number } | LlamaContext): number {
  return model.size + (context?.stateSize ?? 0);
}
