// hearth's LLM (or VLM) as an AI SDK language model (specification v4), in this process: the AI SDK's
// generateText, streamText, generateObject and tool calls run on the SDK's chat, with usage and
// hearth's profile (TTFT, tokens/s, engine, device) as provider metadata.
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from "@ai-sdk/provider";
import type { FinishReason, GenerationResult } from "../model/tasks/text.ts";
import type { LLM } from "../sdk/LLM.ts";
import type { ChatMessage, GenerateOptions, GenerationStream } from "../sdk/types.ts";
import type { VLM } from "../sdk/VLM.ts";
import { HearthError } from "../errors/HearthError.ts";
import { toGenerateOptions, toMessages } from "./prompt.ts";

/** A loaded chat model: an `LLM`, or a `VLM` for image and audio parts. */
export type HearthChatModel = LLM | VLM;

/** The one chat signature both classes share (their overloads differ in message and media types). */
function chat(model: HearthChatModel, messages: ChatMessage[], options: GenerateOptions): GenerationStream {
  return (model as { chat(m: ChatMessage[], o: GenerateOptions): GenerationStream }).chat(messages, options);
}

/** An `LLM` or `VLM` as an AI SDK language model (specification v4); get one from `hearth(ref)`. Provider metadata `hearth` carries the profile (ttftMs, decodeTokensPerSec...), the engine and the device. */
export class HearthLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "hearth";
  /** hearth reads no URL: files arrive as bytes */
  readonly supportedUrls: Record<string, RegExp[]> = {};

  constructor(
    readonly modelId: string,
    private readonly model: () => Promise<HearthChatModel>,
  ) {}

  async doGenerate(call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const { options, warnings } = toGenerateOptions(call);
    const model = await this.model();
    const r = await abortable(call.abortSignal, () => chat(model, toMessages(call.prompt), options).result);
    const content: LanguageModelV4Content[] = [];
    if (r.reasoning) content.push({ type: "reasoning", text: r.reasoning });
    if (r.text) content.push({ type: "text", text: r.text });
    for (const c of r.toolCalls ?? []) content.push({ type: "tool-call", toolCallId: c.id, toolName: c.name, input: c.arguments || "{}" });
    return {
      content,
      finishReason: finishReason(r.finishReason),
      usage: usage(r),
      providerMetadata: metadata(model, r),
      response: { modelId: this.modelId, timestamp: new Date() },
      warnings,
    };
  }

  async doStream(call: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const { options, warnings } = toGenerateOptions(call);
    const model = await this.model();
    const generation = chat(model, toMessages(call.prompt), options);
    const modelId = this.modelId;
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      async start(controller) {
        const send = (p: LanguageModelV4StreamPart) => controller.enqueue(p);
        send({ type: "stream-start", warnings });
        send({ type: "response-metadata", modelId, timestamp: new Date() });
        // one text block and one reasoning block, opened on their first delta
        let open: "text" | "reasoning" | undefined;
        const close = () => {
          if (open) send({ type: `${open}-end`, id: open });
          open = undefined;
        };
        try {
          for await (const c of generation) {
            if (c.type === "text" || c.type === "reasoning") {
              if (open !== c.type) {
                close();
                open = c.type;
                send({ type: `${c.type}-start`, id: c.type });
              }
              send({ type: `${c.type}-delta`, id: c.type, delta: c.text });
            } else {
              close();
              const { id, name, arguments: args } = c.call;
              send({ type: "tool-input-start", id, toolName: name });
              send({ type: "tool-input-delta", id, delta: args || "{}" });
              send({ type: "tool-input-end", id });
              send({ type: "tool-call", toolCallId: id, toolName: name, input: args || "{}" });
            }
          }
          close();
          const r = await generation.result;
          send({ type: "finish", finishReason: finishReason(r.finishReason), usage: usage(r), providerMetadata: metadata(model, r) });
        } catch (e) {
          send({ type: "error", error: asAbort(call.abortSignal, e) });
        }
        controller.close();
      },
    });
    return { stream };
  }
}

function finishReason(r: FinishReason): LanguageModelV4FinishReason {
  const unified = r === "tool_calls" ? "tool-calls" : r === "abort" ? "other" : r;
  return { unified, raw: r };
}

function usage(r: GenerationResult): LanguageModelV4Usage {
  return {
    inputTokens: { total: r.usage.promptTokens, noCache: r.usage.promptTokens, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: r.usage.completionTokens, text: undefined, reasoning: undefined },
  };
}

/** `providerMetadata.hearth`: the profile of the generation and where it ran. */
function metadata(model: HearthChatModel, r: GenerationResult): SharedV4ProviderMetadata {
  const profile = Object.fromEntries(Object.entries(r.profile).filter(([, v]) => v !== undefined));
  return { hearth: { ...profile, engine: model.info.backend, device: model.info.device } };
}

/** An abort surfaces as the signal's own reason (an AbortError), which the AI SDK recognises. */
function asAbort(signal: AbortSignal | undefined, e: unknown): unknown {
  return signal?.aborted && e instanceof HearthError && e.code === "aborted" ? signal.reason : e;
}

async function abortable<T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw asAbort(signal, e);
  }
}
