// One chat or completion on a free sequence of the context: streams text, reasoning and tool calls,
// and ends with the result and its profile. Concurrent runs on different sequences of one context
// are decoded together in the same batches by node-llama-cpp.
import {
  LlamaChat,
  LlamaCompletion,
  type ChatModelFunctions,
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
import { ThinkSplitter } from "../../streams/thinkSplitter.ts";
import { abortedError, engineError } from "./engineErrors.ts";
import type { EventQueue } from "../../streams/eventQueue.ts";
import { changeCells, type Engine } from "./engine.ts";
import { Clock, profileOf, tokenBudget } from "./generationProfile.ts";
import { chatInLoop, completeInLoop, grammarStops, loopStops } from "./loopGeneration.ts";
import { keptStart } from "./sequencePool.ts";
import { holdTrailingWhitespace } from "./heldWhitespace.ts";
import { StopText } from "./stopText.ts";
import { readEnv } from "../../config/env.ts";

function checkFits(promptTokens: number, sequence: { contextSize: number }): void {
  if (promptTokens >= sequence.contextSize) {
    throw new HearthError("context_exceeded", `the prompt is ${promptTokens} tokens but the context holds ${sequence.contextSize}`, {
      hint: "shorten the input or load the model with a larger context size",
    });
  }
}

async function withSequence<T>(
  e: Engine,
  prompt: Token[],
  signal: AbortSignal | undefined,
  fn: (s: LlamaContextSequence) => Promise<T>,
): Promise<T> {
  const sequence = await e.pool.acquire(prompt, signal);
  try {
    // a lone shared first token is not kept (keptStart), on node-llama-cpp's path and in the loop
    if (sequence.nextTokenIndex > 0 && keptStart(sequence, prompt) === 0) await changeCells(e, () => sequence.clearHistory());
    return await fn(sequence);
  } finally {
    e.pool.release(sequence);
  }
}

/**
 * Stop strings on node-llama-cpp's path, matched as the token loop matches them (StopText: on the
 * text as it reads): node-llama-cpp matches each token's text without its leading space, so it
 * missed strings and cut spaces (5 of 8 cases on the tiny fixture). node-llama-cpp is given none; the
 * generation is ended through its abort signal once one is found. Undefined where none are asked for.
 */
function stopStrings(sampling: EngineSampling, signal: AbortSignal | undefined) {
  const strings = sampling.customStopTriggers ?? [];
  if (strings.length === 0) return undefined;
  const found = new AbortController();
  return {
    text: new StopText(strings),
    signal: signal ? AbortSignal.any([signal, found.signal]) : found.signal,
    end: () => found.abort(),
  };
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
    // answers without tools in the helper's native loop where the chat format and grammar allow
    const loop =
      e.loop && readEnv().llamaTokenLoop && !functions && !e.loop.refuses(sequence, sampling) && grammarStops(grammar) ? e.loop : undefined;
    const formatStops = loop && loopStops(wrapper, state, e.model);
    if (loop && formatStops)
      return chatInLoop(e, loop, sequence, prompt, formatStops, sampling, req.sampling?.maxTokens, grammar, q, signal);
    const reused = sequence.compareContextTokens(prompt).firstDifferentIndex;
    const budget = tokenBudget(req.sampling?.maxTokens, prompt.length, sequence.contextSize);
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: wrapper, autoDisposeSequence: false });
    const clock = new Clock(sequence);
    const stops = stopStrings(sampling, signal);
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
        customStopTriggers: undefined,
        maxTokens: budget.max,
        signal: stops?.signal ?? signal,
        // a stop string found ends the generation through the signal, keeping what came before it
        stopOnAbortSignal: !!stops,
        onToken: (tokens: Token[]) => {
          if (!stops?.text.stopped) clock.token(tokens.length);
        },
        onResponseChunk: (chunk: { type?: string; segmentType?: string; text: string }) => {
          if (!chunk.text || stops?.text.stopped) return;
          if (chunk.type === "segment") {
            reasoning += chunk.text;
            q.push({ type: "reasoning", text: chunk.text });
          } else {
            for (const piece of think.push(stops ? stops.text.push(chunk.text) : chunk.text)) q.push(piece);
            if (stops?.text.stopped) stops.end();
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
      if (stops) for (const piece of think.push(stops.text.flush())) q.push(piece);
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
      let finishReason = stops?.text.stopped && toolCalls.length === 0 ? "stop" : finishOf(res.metadata.stopReason, toolCalls.length);
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
    const loop = e.loop && readEnv().llamaTokenLoop && !e.loop.refuses(sequence, sampling) && grammarStops(grammar) ? e.loop : undefined;
    if (loop) return completeInLoop(e, loop, sequence, prompt, sampling, req.sampling?.maxTokens, grammar, q, signal);
    const reused = sequence.compareContextTokens(prompt).firstDifferentIndex;
    const budget = tokenBudget(req.sampling?.maxTokens, prompt.length, sequence.contextSize);
    const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    const clock = new Clock(sequence);
    let lead = "";
    let leadSent = false;
    // LlamaCompletion trims the whitespace a JSON grammar leaves at the end from its response but
    // streams it: held back here, so the stream reads as the result
    let streamed = "";
    const push = (piece: string) => {
      streamed += piece;
      q.push({ type: "text", text: piece });
    };
    const emit = grammar?.trimWhitespaceSuffix ? holdTrailingWhitespace(push) : push;
    const stops = stopStrings(sampling, signal);
    try {
      const res = await completion.generateCompletionWithMeta(text, {
        ...sampling,
        customStopTriggers: undefined,
        grammar,
        maxTokens: budget.max,
        signal: stops?.signal ?? signal,
        // a stop string found ends the generation through the signal, keeping what came before it
        stopOnAbortSignal: !!stops,
        disableContextShift: true,
        // the prompt was checked to fit; keep node-llama-cpp from trimming its start
        contextShiftSize: 0,
        onToken: (tokens) => {
          if (clock.first === undefined && tokens.length) lead = leadingSpace(e.model, tokens[0], prompt);
          if (!stops?.text.stopped) clock.token(tokens.length);
        },
        onTextChunk: (chunk) => {
          if (!chunk || stops?.text.stopped) return;
          const piece = leadSent ? chunk : lead + chunk;
          leadSent = true;
          const out = stops ? stops.text.push(piece) : piece;
          if (out) emit(out);
          if (stops?.text.stopped) stops.end();
        },
      });
      if (signal?.aborted) throw abortedError();
      if (stops) {
        const rest = stops.text.flush();
        if (rest) emit(rest);
      }
      const result: GenerationResult = {
        // with stop strings, what was streamed up to the first one
        text: stops ? streamed : (res.response ? lead : "") + res.response,
        finishReason: stops?.text.stopped ? "stop" : finishOf(res.metadata.stopReason, 0),
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
