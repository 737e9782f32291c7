// POST /v1/completions: the legacy text completion endpoint many tools still call. A list of
// prompts gives one choice per prompt (not streamed); token-id prompts are refused clearly.
import type { FastifyInstance } from "fastify";
import type { CompleteRequest, GenerationResult } from "../../model/tasks/text.ts";
import type { TaskEvent } from "../../model/task.ts";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { completionSchema } from "../schemas/completions.ts";
import { toConstraint, toSampling, type OpenAISamplingFields } from "../openai/sampling.ts";
import { finishReasonOf, newId, nowSec, textChunk, textCompletion, textUsageChunk } from "../openai/responses.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runOnLease, runToResult } from "../generation.ts";
import { SseStream } from "../sse.ts";
import { badParam } from "../errors.ts";

interface CompletionBody extends OpenAISamplingFields {
  model: string;
  prompt: string | string[] | number[] | number[][];
  echo?: boolean | null;
  suffix?: string | null;
  best_of?: number | null;
  stream_options?: { include_usage?: boolean | null } | null;
  stream?: boolean | null;
}

export async function completionRoutes(app: FastifyInstance, ctx: RouteContext) {
  app.post("/v1/completions", { schema: completionSchema }, async (req, reply) => {
    const body = req.body as CompletionBody;
    noteRequest(req, { model: body.model });
    const prompts = promptsOf(body.prompt);
    if (body.suffix) throw badParam("suffix", "suffix (fill-in-the-middle) is not supported", "omit suffix");
    if (body.best_of != null && body.best_of > 1) throw badParam("best_of", "best_of > 1 is not supported", "omit best_of");
    if (body.stream && prompts.length > 1)
      throw badParam("prompt", "a streamed completion takes one prompt", "send one prompt, or stream=false");
    const sampling = toSampling(body);
    const constraint = toConstraint(body);
    const signal = disconnectSignal(reply);
    const id = newId("cmpl");
    const created = nowSec();
    const requestFor = (prompt: string): CompleteRequest => ({ task: "complete", prompt, sampling, ...(constraint ? { constraint } : {}) });

    if (!body.stream) {
      const choices: { text: string; result: GenerationResult }[] = [];
      for (const prompt of prompts) {
        const lease = await ctx.manager.acquire(body.model, "complete", signal);
        const result = await runToResult(lease, requestFor(prompt), signal, ctx.metrics);
        choices.push({ text: body.echo ? prompt + result.text : result.text, result });
      }
      const response = textCompletion(id, created, body.model, choices);
      noteRequest(req, { promptTokens: response.usage.prompt_tokens, completionTokens: response.usage.completion_tokens });
      return reply.send(response);
    }

    const lease = await ctx.manager.acquire(body.model, "complete", signal);
    const events = runOnLease(lease, requestFor(prompts[0]), signal, ctx.metrics);
    const first = await events.next();
    const withUsage = body.stream_options?.include_usage === true;
    const sse = new SseStream(signal);
    void streamText(sse, events, first, { id, created, model: body.model, withUsage, echo: body.echo ? prompts[0] : undefined }).then(
      (r) => {
        if (r) noteRequest(req, { promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens });
      },
    );
    return sse.start(reply);
  });
}

function promptsOf(prompt: CompletionBody["prompt"]): string[] {
  if (typeof prompt === "string") return [prompt];
  if (prompt.every((p) => typeof p === "string")) return prompt as string[];
  throw badParam("prompt", "token-id prompts are not supported", "send the prompt as text");
}

async function streamText(
  sse: SseStream,
  events: AsyncGenerator<TaskEvent>,
  first: IteratorResult<TaskEvent>,
  m: { id: string; created: number; model: string; withUsage: boolean; echo?: string },
): Promise<GenerationResult | undefined> {
  let result: GenerationResult | undefined;
  try {
    if (m.echo) await sse.send(textChunk(m.id, m.created, m.model, m.echo, null, m.withUsage));
    for (let it = first; !it.done; it = await events.next()) {
      const e = it.value;
      if (e.type === "text") await sse.send(textChunk(m.id, m.created, m.model, e.text, null, m.withUsage));
      else if (e.type === "result") result = e.result as GenerationResult;
    }
    if (!result) throw new Error("the engine ended without a result");
    await sse.send(textChunk(m.id, m.created, m.model, "", finishReasonOf(result), m.withUsage));
    if (m.withUsage) await sse.send(textUsageChunk(m.id, m.created, m.model, result));
    await sse.done();
    return result;
  } catch (e) {
    await sse.fail(e); // headers are gone: the error travels as an SSE event
    return undefined;
  } finally {
    await events.return(undefined);
  }
}
