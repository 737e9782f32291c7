// One chat or completion on a free sequence of the context: streams text, reasoning and tool calls,
// and ends with the result and its profile. Concurrent runs on different sequences of one context
// are decoded together in the same batches by node-llama-cpp.
import {
  LlamaChat,
  LlamaCompletion,
  type ChatModelFunctions,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { randomUUID } from "node:crypto";
import type { ChatRequest, CompleteRequest, FinishReason, GenerationResult, ToolCall } from "../../model/tasks/text.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { engineSampling, type EngineSampling } from "./sampling.ts";
import { grammarFor } from "./constraint.ts";
import { toChatHistory, toFunctions } from "./messages.ts";
import { forcingToolCall } from "./toolChoice.ts";
import { ThinkSplitter } from "./thinkSplitter.ts";
import { abortedError, engineError } from "./engineErrors.ts";
import type { EventQueue } from "../../streams/eventQueue.ts";
import type { SequencePool } from "./sequencePool.ts";
import type { TokenLoop } from "./tokenLoop.ts";
import { TokenText } from "./tokenText.ts";
import { StopText } from "./stopText.ts";
import { readEnv } from "../../config/env.ts";

export interface Engine {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  pool: SequencePool;
  chatWrapper: ChatWrapper;
  /** e.g. "llama/cpu" */
  device: string;
  /** the load-time seed: sampling uses it when a request gives none */
  seed?: number;
  /** the helper's native token loop, where this context has one (tokenLoop.ts) */
  loop?: TokenLoop;
}

/** Times one generation: first token, end; tokens generated (from the sequence's token meter, which
 * also counts the tokens of tool calls that node-llama-cpp does not pass to onToken). */
class Clock {
  readonly t0 = performance.now();
  first?: number;
  last?: number;
  private streamed = 0;
  private readonly outputBefore: number;
  constructor(private sequence: LlamaContextSequence) {
    this.outputBefore = sequence.tokenMeter.usedOutputTokens;
  }
  /** `n` tokens came at `at` (by default now) */
  token(n: number, at = performance.now()) {
    this.first ??= at;
    if (n > 0) this.last = at;
    this.streamed += n;
  }
  /** tokens the caller saw; with `unstreamed`, also those of tool calls (the meter may count one
   * token sampled past the end, so it is used only when calls were made) */
  generated = (unstreamed = false): number =>
    unstreamed ? Math.max(this.streamed, this.sequence.tokenMeter.usedOutputTokens - this.outputBefore) : this.streamed;
}

function profileOf(
  clock: Clock,
  generated: number,
  promptTokens: number,
  evaluatedPrompt: number,
  device: string,
): GenerationResult["profile"] {
  const end = performance.now();
  const ttft = (clock.first ?? end) - clock.t0;
  // from the first token to the last: generated - 1 decode steps
  const decodeMs = (clock.last ?? end) - (clock.first ?? end);
  return {
    ttftMs: ttft,
    prefillTokensPerSec: evaluatedPrompt > 0 && ttft > 0 ? (evaluatedPrompt / ttft) * 1000 : undefined,
    // the first token comes out of prefill; decode speed counts the ones after it
    decodeTokensPerSec: generated > 1 && decodeMs > 0 ? ((generated - 1) / decodeMs) * 1000 : undefined,
    promptTokens,
    generatedTokens: generated,
    totalMs: end - clock.t0,
    device,
  };
}

function checkFits(promptTokens: number, sequence: { contextSize: number }): void {
  if (promptTokens >= sequence.contextSize) {
    throw new HearthError("context_exceeded", `the prompt is ${promptTokens} tokens but the context holds ${sequence.contextSize}`, {
      hint: "shorten the input or load the model with a larger context size",
    });
  }
}

/** Tokens left for the answer: never more than fit, so the context never shifts under a generation. */
function tokenBudget(maxTokens: number | undefined, promptTokens: number, contextSize: number): { max: number } {
  const room = contextSize - promptTokens;
  return { max: maxTokens !== undefined ? Math.min(maxTokens, room) : room };
}

async function withSequence<T>(
  e: Engine,
  prompt: Token[],
  signal: AbortSignal | undefined,
  fn: (s: LlamaContextSequence) => Promise<T>,
): Promise<T> {
  const sequence = await e.pool.acquire(prompt, signal);
  try {
    return await fn(sequence);
  } finally {
    e.pool.release(sequence);
  }
}

const newCallId = () => `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;

/** The streamed argument text when it is a complete JSON object, else undefined. */
function streamedArguments(text: string | undefined): string | undefined {
  if (!text?.trim()) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? text : undefined;
  } catch {
    return undefined;
  }
}

function finishOf(stopReason: string, toolCalls: number): FinishReason {
  if (toolCalls > 0) return "tool_calls";
  if (stopReason === "maxTokens") return "length";
  if (stopReason === "abort") return "abort";
  return "stop";
}

export async function runChat(e: Engine, req: ChatRequest, q: EventQueue, signal?: AbortSignal): Promise<void> {
  const history = toChatHistory(req.messages);
  const sampling = engineSampling({ seed: e.seed, ...req.sampling }, e.model);
  const choice = req.toolChoice ?? "auto";
  let functions: ChatModelFunctions | undefined;
  if (req.tools?.length && choice !== "none") {
    const all = toFunctions(req.tools);
    if (typeof choice === "object") {
      if (!all[choice.name]) {
        throw new HearthError("bad_input", `toolChoice names "${choice.name}", which is not among the tools`, {
          hint: `tools: ${Object.keys(all).join(", ")}`,
        });
      }
      functions = { [choice.name]: all[choice.name] };
    } else {
      functions = all;
    }
  } else if (choice === "required" || typeof choice === "object") {
    throw new HearthError("bad_input", "toolChoice requires a tool call but no tools were given", {
      hint: 'pass tools, or toolChoice "auto"',
    });
  }
  if (functions && req.constraint) {
    throw new HearthError("bad_input", "a response format (grammar or JSON schema) cannot be combined with tools", {
      hint: "tool arguments already follow their JSON schemas; drop one of the two",
    });
  }
  const forced = !!functions && (choice === "required" || typeof choice === "object");
  const wrapper = forced ? forcingToolCall(e.chatWrapper) : e.chatWrapper;
  const grammar = await grammarFor(e.llama, req.constraint);

  const state = wrapper.generateContextState({ chatHistory: history, availableFunctions: functions, documentFunctionParams: true });
  const prompt = state.contextText.tokenize(e.model.tokenizer);
  checkFits(prompt.length + 1, { contextSize: e.context.contextSize });
  if (signal?.aborted) throw abortedError();

  await withSequence(e, prompt, signal, async (sequence) => {
    const reused = sequence.compareContextTokens(prompt).firstDifferentIndex;
    const budget = tokenBudget(req.sampling?.maxTokens, prompt.length, sequence.contextSize);
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: wrapper, autoDisposeSequence: false });
    const clock = new Clock(sequence);
    let reasoning = "";
    const think = new ThinkSplitter();
    // tool-call arguments as the model writes them, streamed as fragments; the call keeps its id
    const partial = new Map<number, { id: string; text: string }>();
    const onParams = (c: { callIndex: number; functionName: string; paramsChunk: string }) => {
      clock.token(0);
      let p = partial.get(c.callIndex);
      if (!p) {
        p = { id: newCallId(), text: "" };
        partial.set(c.callIndex, p);
      }
      if (!c.paramsChunk) return;
      p.text += c.paramsChunk;
      q.push({ type: "tool_call_delta", index: c.callIndex, id: p.id, name: c.functionName, arguments: c.paramsChunk });
    };
    try {
      const common = {
        ...sampling,
        maxTokens: budget.max,
        signal,
        stopOnAbortSignal: false,
        onToken: (tokens: Token[]) => clock.token(tokens.length),
        onResponseChunk: (chunk: { type?: string; segmentType?: string; text: string }) => {
          if (!chunk.text) return;
          if (chunk.type === "segment") {
            reasoning += chunk.text;
            q.push({ type: "reasoning", text: chunk.text });
          } else {
            for (const piece of think.push(chunk.text)) q.push(piece);
          }
        },
      };
      const res = functions
        ? await chat.generateResponse(history, {
            ...common,
            functions,
            documentFunctionParams: true,
            onFunctionCallParamsChunk: onParams,
            maxParallelFunctionCalls: req.parallelToolCalls === false ? 1 : undefined,
          })
        : await chat.generateResponse(history, { ...common, grammar });
      if (signal?.aborted) throw abortedError();
      for (const piece of think.flush()) q.push(piece);
      reasoning += think.reasoning;
      const toolCalls: ToolCall[] = (res.functionCalls ?? []).map((c, i) => ({
        id: partial.get(i)?.id ?? newCallId(),
        name: c.functionName,
        // the streamed fragments joined, so a client that concatenated them holds the same text
        arguments: streamedArguments(partial.get(i)?.text) ?? JSON.stringify(c.params ?? {}),
      }));
      toolCalls.forEach((call, index) => {
        q.push({ type: "tool_call", index, call });
      });
      let finishReason = finishOf(res.metadata.stopReason, toolCalls.length);
      // a forced call cut off by the token limit is not a call
      if (forced && toolCalls.length === 0) finishReason = "length";
      const generated = clock.generated(toolCalls.length > 0);
      const result: GenerationResult = {
        // the streamed answer (node-llama-cpp's response text would still hold a plain-text <think> block)
        text: think.text,
        reasoning: reasoning || undefined,
        toolCalls: toolCalls.length ? toolCalls : undefined,
        finishReason,
        usage: { promptTokens: prompt.length, completionTokens: generated },
        profile: profileOf(clock, generated, prompt.length, prompt.length - reused, e.device),
      };
      q.push({ type: "result", task: "chat", result });
    } catch (err) {
      throw signal?.aborted ? abortedError() : engineError(err, "generate");
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  });
}

/** node-llama-cpp drops the leading space of the first generated piece ("▁your" -> "your"); a
 * completion continues the prompt, so the space belongs to the text (llama.cpp keeps it). */
function leadingSpace(model: LlamaModel, first: Token, prompt: Token[]): string {
  const alone = model.detokenize([first]);
  const inContext = model.detokenize([first], false, prompt.slice(-4));
  return inContext.length > alone.length && inContext.endsWith(alone) ? inContext.slice(0, inContext.length - alone.length) : "";
}

export async function runComplete(e: Engine, req: CompleteRequest, q: EventQueue, signal?: AbortSignal): Promise<void> {
  if (typeof req.prompt !== "string") throw new HearthError("bad_input", "the prompt must be a string");
  const sampling = engineSampling({ seed: e.seed, ...req.sampling }, e.model);
  const grammar = await grammarFor(e.llama, req.constraint);
  // tokenized as llama.cpp does (leading space for SentencePiece, special tokens parsed), so the
  // prompt tokens are the ones llama.cpp's own tools would use; node-llama-cpp prepends the
  // beginning-of-text token itself
  const bos = e.model.tokens.bos !== null && e.model.tokens.shouldPrependBosToken ? e.model.tokens.bos : undefined;
  const text = e.model.tokenize(req.prompt, true);
  const prompt = bos !== undefined ? [bos, ...text] : text;
  if (text.length === 0) throw new HearthError("bad_input", "the prompt is empty", { hint: "give some text to continue" });
  checkFits(prompt.length + 1, { contextSize: e.context.contextSize });
  if (signal?.aborted) throw abortedError();

  await withSequence(e, prompt, signal, async (sequence) => {
    const loop = e.loop && readEnv().llamaTokenLoop && !e.loop.refuses(sequence, sampling, grammar) ? e.loop : undefined;
    if (loop) return completeInLoop(e, loop, sequence, prompt, sampling, req.sampling?.maxTokens, q, signal);
    const reused = sequence.compareContextTokens(prompt).firstDifferentIndex;
    const budget = tokenBudget(req.sampling?.maxTokens, prompt.length, sequence.contextSize);
    const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    const clock = new Clock(sequence);
    let lead = "";
    let leadSent = false;
    try {
      const res = await completion.generateCompletionWithMeta(text, {
        ...sampling,
        grammar,
        maxTokens: budget.max,
        signal,
        stopOnAbortSignal: false,
        disableContextShift: true,
        // the prompt was checked to fit; keep node-llama-cpp from trimming its start
        contextShiftSize: 0,
        onToken: (tokens) => {
          if (clock.first === undefined && tokens.length) lead = leadingSpace(e.model, tokens[0], prompt);
          clock.token(tokens.length);
        },
        onTextChunk: (chunk) => {
          if (!chunk) return;
          q.push({ type: "text", text: leadSent ? chunk : lead + chunk });
          leadSent = true;
        },
      });
      if (signal?.aborted) throw abortedError();
      const result: GenerationResult = {
        text: (res.response ? lead : "") + res.response,
        finishReason: finishOf(res.metadata.stopReason, 0),
        usage: { promptTokens: prompt.length, completionTokens: clock.generated() },
        profile: profileOf(clock, clock.generated(), prompt.length, prompt.length - reused, e.device),
      };
      q.push({ type: "result", task: "complete", result });
    } catch (err) {
      throw signal?.aborted ? abortedError() : engineError(err, "generate");
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  });
}

/** runComplete through the helper's native token loop (tokenLoop.ts). */
async function completeInLoop(
  e: Engine,
  loop: TokenLoop,
  sequence: LlamaContextSequence,
  prompt: Token[],
  sampling: EngineSampling,
  maxTokens: number | undefined,
  q: EventQueue,
  signal?: AbortSignal,
): Promise<void> {
  const reused = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);
  const budget = tokenBudget(maxTokens, prompt.length, sequence.contextSize);
  const clock = new Clock(sequence);
  // a completion continues the prompt: its last tokens set the first piece's leading space
  const tokens = new TokenText(e.model, prompt);
  const stops = new StopText(sampling.customStopTriggers ?? []);
  let text = "";
  const emit = (piece: string) => {
    if (!piece) return;
    text += piece;
    q.push({ type: "text", text: piece });
  };
  let run: Awaited<ReturnType<TokenLoop["run"]>>;
  try {
    run = await loop.run(
      sequence,
      prompt,
      sampling,
      budget.max,
      (token, at) => {
        // tokens the loop decoded past a stop string are not part of the answer
        if (stops.stopped) return false;
        clock.token(1, at);
        emit(stops.push(tokens.push(token)));
        return !stops.stopped;
      },
      signal,
    );
  } catch (err) {
    throw signal?.aborted ? abortedError() : engineError(err, "generate");
  }
  if (signal?.aborted) throw abortedError();
  if (!stops.stopped) emit(stops.push(tokens.flush()) + stops.flush());
  const result: GenerationResult = {
    text,
    finishReason: run.stop === "eog" || stops.stopped ? "stop" : "length",
    usage: { promptTokens: prompt.length, completionTokens: clock.generated() },
    profile: profileOf(clock, clock.generated(), prompt.length, prompt.length - reused, e.device),
  };
  q.push({ type: "result", task: "complete", result });
}
