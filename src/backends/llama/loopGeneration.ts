// Completions and plain chat answers in the helper's native token loop (tokenLoop.ts): the tokens
// come from C++ as they are sampled, and here become text (whole characters), are cut at stop
// strings, and go out as events. What the loop cannot take goes through node-llama-cpp (generate.ts).
import {
  type ChatWrapper,
  type ChatWrapperGeneratedContextState,
  type ChatWrapperSettings,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  LlamaText,
  type LlamaTextInputValue,
  SpecialTokensText,
  type Token,
} from "node-llama-cpp";
import type { FinishReason, GenerationResult } from "../../model/tasks/text.ts";
import type { EventQueue } from "../../streams/eventQueue.ts";
import type { TaskEvent } from "../../model/task.ts";
import type { Engine } from "./engine.ts";
import type { EngineSampling } from "./sampling.ts";
import type { TokenLoop } from "./tokenLoop.ts";
import { TokenText } from "./tokenText.ts";
import { StopText } from "./stopText.ts";
import { holdTrailingWhitespace } from "./heldWhitespace.ts";
import { ThinkSplitter } from "../../streams/thinkSplitter.ts";
import { Clock, profileOf, tokenBudget } from "./generationProfile.ts";
import { abortedError, engineError } from "./engineErrors.ts";

/** What ends a generation besides the model's end tokens. */
export interface LoopStops {
  tokens: Token[];
  strings: string[];
}

/**
 * A chat format's stop triggers as the loop takes them: single special tokens, or plain text. Anything
 * else (a trigger mixing the two, reasoning segments other than a <think> block, text to skip at the
 * start, re-rendering) is LlamaChat's to handle, and the answer is undefined.
 */
export function loopStops(wrapper: ChatWrapper, state: ChatWrapperGeneratedContextState, model: LlamaModel): LoopStops | undefined {
  if (!thinkSegmentsOnly(wrapper.settings.segments, model)) return undefined;
  const s = state as ChatWrapperGeneratedContextState & Record<string, unknown>;
  for (const key of [
    "ignoreStartText",
    "functionCall",
    "prefixTriggers",
    "noPrefixTrigger",
    "rerender",
    "detectFunctionCalls",
    "userTextSuffix",
  ]) {
    const v = s[key];
    if (v != null && v !== false && !(Array.isArray(v) && v.length === 0)) return undefined;
  }
  const stops: LoopStops = { tokens: [], strings: [] };
  for (const trigger of state.stopGenerationTriggers) {
    if (trigger.values.every((v) => typeof v === "string")) {
      const text = trigger.values.join("");
      if (text) stops.strings.push(text);
      continue;
    }
    const tokens = trigger.tokenize(model.tokenizer, "trimLeadingSpace");
    if (trigger.values.length !== 1 || tokens.length !== 1) return undefined;
    stops.tokens.push(tokens[0]);
  }
  return stops;
}

/** The plain text of a segment's prefix or suffix; undefined where it holds a special token. */
function plainText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  const values = LlamaText(value as LlamaTextInputValue).values;
  let text = "";
  for (const v of values) {
    if (typeof v === "string") text += v;
    else if (v instanceof SpecialTokensText) text += v.value;
    else return undefined;
  }
  return text;
}

/**
 * A grammar's own stop texts (node-llama-cpp's JSON grammars stop at a run of newlines), as the loop
 * takes them: plain text; undefined where one holds a token.
 */
export function grammarStops(grammar: LlamaGrammar | undefined): string[] | undefined {
  const out: string[] = [];
  for (const trigger of grammar?.stopGenerationTriggers ?? []) {
    const text = Array.isArray(trigger) ? (trigger.every((v) => typeof v === "string") ? trigger.join("") : undefined) : plainText(trigger);
    if (text === undefined) return undefined;
    if (text) out.push(text);
  }
  return out;
}

/**
 * Whether the format's reasoning segments, if any, are what ThinkSplitter splits off: a thought
 * written as "<think>" ... "</think>" (Qwen, DeepSeek), opened by the model itself, with tags the
 * model's vocabulary renders as text (not hidden control tokens), so the loop's text shows them.
 * Anything else (a thought the prompt opens, gpt-oss's comment segments, a text that closes all
 * segments) is LlamaChat's.
 */
function thinkSegmentsOnly(segments: ChatWrapperSettings["segments"], model: LlamaModel): boolean {
  if (!segments) return true;
  const { thought, reiterateStackAfterFunctionCalls: _functionsOnly, ...rest } = segments;
  if (Object.values(rest).some((v) => v != null)) return false;
  if (!thought) return true;
  if (thought.openOnResponseStart || (typeof thought.prefix === "object" && "type" in thought.prefix)) return false;
  if (plainText(thought.prefix)?.trim() !== "<think>" || plainText(thought.suffix ?? "")?.trim() !== "</think>") return false;
  return ["<think>", "</think>"].every((tag) => model.detokenize(model.tokenize(tag, true), false) === tag);
}

/** Runs the loop and turns its tokens into text pieces for `emit` (one for each batch the loop
 * delivers: a fast loop's tokens come several at once), cut at the first stop string. */
async function streamText(
  e: Engine,
  loop: TokenLoop,
  sequence: LlamaContextSequence,
  prompt: Token[],
  sampling: EngineSampling,
  options: {
    maxTokens: number;
    stops: LoopStops;
    clock: Clock;
    continues: boolean;
    grammar?: LlamaGrammar;
    signal?: AbortSignal;
  },
  emitText: (piece: string) => void,
): Promise<FinishReason> {
  // a continuation keeps its first piece's leading space (the prompt's last tokens set it); an
  // answer starts without one, as LlamaChat gives it
  const tokens = new TokenText(e.model, options.continues ? prompt : []);
  const stops = new StopText([...options.stops.strings, ...(grammarStops(options.grammar) ?? []), ...(sampling.customStopTriggers ?? [])]);
  // a grammar that asks for it (node-llama-cpp's JSON grammars) has no whitespace at the end
  const emit = options.grammar?.trimWhitespaceSuffix ? holdTrailingWhitespace(emitText) : emitText;
  let batch = "";
  const flush = () => {
    if (batch) emit(batch);
    batch = "";
  };
  let run: Awaited<ReturnType<TokenLoop["run"]>>;
  try {
    run = await loop.run(
      sequence,
      prompt,
      sampling,
      { maxTokens: options.maxTokens, stopTokens: options.stops.tokens, grammar: options.grammar, signal: options.signal },
      (token, at) => {
        // tokens the loop decoded past a stop string are not part of the answer
        if (stops.stopped) return false;
        options.clock.token(1, at);
        batch += stops.push(tokens.push(token));
        return !stops.stopped;
      },
      flush,
    );
  } catch (err) {
    throw options.signal?.aborted ? abortedError() : engineError(err, "generate");
  }
  if (options.signal?.aborted) throw abortedError();
  if (!stops.stopped) {
    const rest = stops.push(tokens.flush()) + stops.flush();
    if (rest) emit(rest);
  }
  return run.stop === "eog" || stops.stopped ? "stop" : "length";
}

/** runComplete in the loop. */
export async function completeInLoop(
  e: Engine,
  loop: TokenLoop,
  sequence: LlamaContextSequence,
  prompt: Token[],
  sampling: EngineSampling,
  maxTokens: number | undefined,
  grammar: LlamaGrammar | undefined,
  q: EventQueue,
  signal?: AbortSignal,
): Promise<void> {
  const reused = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);
  const clock = new Clock(sequence);
  let text = "";
  const finishReason = await streamText(
    e,
    loop,
    sequence,
    prompt,
    sampling,
    {
      maxTokens: tokenBudget(maxTokens, prompt.length, sequence.contextSize).max,
      stops: { tokens: [...loop.completionStopTokens()], strings: [] },
      clock,
      continues: true,
      grammar,
      signal,
    },
    (piece) => {
      text += piece;
      q.push({ type: "text", text: piece });
    },
  );
  const result: GenerationResult = {
    text,
    finishReason,
    usage: { promptTokens: prompt.length, completionTokens: clock.generated() },
    profile: profileOf(clock, clock.generated(), prompt.length, prompt.length - reused, e.device),
  };
  q.push({ type: "result", task: "complete", result });
}

/** runChat's plain answer in the loop: the text, with a <think> block split off as reasoning. */
export async function chatInLoop(
  e: Engine,
  loop: TokenLoop,
  sequence: LlamaContextSequence,
  prompt: Token[],
  stops: LoopStops,
  sampling: EngineSampling,
  maxTokens: number | undefined,
  grammar: LlamaGrammar | undefined,
  q: EventQueue,
  signal?: AbortSignal,
): Promise<void> {
  const reused = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);
  const clock = new Clock(sequence);
  const think = new ThinkSplitter();
  const push = (pieces: TaskEvent[]) => {
    for (const piece of pieces) q.push(piece);
  };
  const finishReason = await streamText(
    e,
    loop,
    sequence,
    prompt,
    sampling,
    {
      maxTokens: tokenBudget(maxTokens, prompt.length, sequence.contextSize).max,
      stops,
      clock,
      continues: false,
      grammar,
      signal,
    },
    (piece) => push(think.push(piece)),
  );
  push(think.flush());
  const result: GenerationResult = {
    text: think.text,
    reasoning: think.reasoning || undefined,
    finishReason,
    usage: { promptTokens: prompt.length, completionTokens: clock.generated() },
    profile: profileOf(clock, clock.generated(), prompt.length, prompt.length - reused, e.device),
  };
  q.push({ type: "result", task: "chat", result });
}
