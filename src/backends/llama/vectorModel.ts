// A loaded embedding or reranking model: embed texts, or score documents against a query.
import type { LlamaEmbeddingContext, LlamaModel, LlamaRankingContext } from "node-llama-cpp";
import type { LoadedModel, LoadedModelInfo } from "../types.ts";
import type { TaskEvent, TaskRequest } from "../../model/task.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { runEmbed, runRerank } from "./embedding.ts";

export type VectorContext =
  | { kind: "embed"; context: LlamaEmbeddingContext; contextSize: number }
  | { kind: "rerank"; context: LlamaRankingContext };

export class LlamaVectorModel implements LoadedModel {
  private disposed = false;
  // one evaluation at a time per context (node-llama-cpp's embedding contexts have one sequence)
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private model: LlamaModel,
    private vc: VectorContext,
    readonly info: LoadedModelInfo,
  ) {}

  run(request: TaskRequest, signal?: AbortSignal): AsyncIterable<TaskEvent> {
    const job = this.queue.then(async (): Promise<TaskEvent> => {
      if (this.disposed) throw new HearthError("bad_input", "the model was disposed", { hint: "load it again" });
      const device = `llama/${this.info.device}`;
      if (request.task === "embed" && this.vc.kind === "embed") {
        return { type: "result", task: "embed", result: await runEmbed(this.vc.context, this.vc.contextSize, request, device, signal) };
      }
      if (request.task === "rerank" && this.vc.kind === "rerank") {
        return { type: "result", task: "rerank", result: await runRerank(this.vc.context, request, device, signal) };
      }
      throw new HearthError(
        "unsupported_task",
        `this ${this.vc.kind === "embed" ? "embedding" : "reranking"} model cannot run task "${request.task}"`,
        {
          hint: this.vc.kind === "embed" ? "it runs embed" : "it runs rerank",
        },
      );
    });
    this.queue = job.catch(() => undefined);
    return (async function* () {
      yield await job;
    })();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    await this.vc.context.dispose();
    await this.model.dispose();
  }
}
