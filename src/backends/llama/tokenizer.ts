// The model's tokenizer and chat template as utilities: tokenize (special-token text parsed, as
// llama.cpp does), detokenize with each token's piece, and a chat rendered through the template.
import { SpecialTokensText, type Token } from "node-llama-cpp";
import type { ChatMessage, ToolDefinition } from "../../model/tasks/text.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { toChatHistory, toFunctions } from "./messages.ts";
import type { Engine } from "./engine.ts";

export function tokenize(e: Engine, text: string, addSpecial = false): number[] {
  if (typeof text !== "string") throw new HearthError("bad_input", "tokenize needs a text");
  const tokens = [...e.model.tokenize(text, true)];
  const bos = e.model.tokens.bos;
  return addSpecial && bos !== null && e.model.tokens.shouldPrependBosToken ? [bos, ...tokens] : tokens;
}

export function detokenize(e: Engine, tokens: number[]): { text: string; pieces: string[] } {
  if (!Array.isArray(tokens)) throw new HearthError("bad_input", "detokenize needs a list of token ids");
  // an id past the vocabulary would read out of bounds in the native tokenizer
  const vocab = e.model.fileInfo.metadata?.tokenizer?.ggml?.tokens;
  const size = Array.isArray(vocab) ? vocab.length : 0;
  const bad = tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= size);
  if (bad !== undefined)
    throw new HearthError("bad_input", `token id ${bad} is not in the model's vocabulary`, { hint: `ids run from 0 to ${size - 1}` });
  const ids = tokens as Token[];
  // each piece read after the tokens before it, so a word's leading space stays with it
  return {
    text: e.model.detokenize(ids, true),
    pieces: ids.map((t, i) => e.model.detokenize([t], true, ids.slice(Math.max(0, i - 4), i))),
  };
}

export function render(e: Engine, messages: ChatMessage[], tools?: ToolDefinition[]): { prompt: string; tokens: number } {
  const history = toChatHistory(messages);
  const functions = tools?.length ? toFunctions(tools) : undefined;
  const state = e.chatWrapper.generateContextState({ chatHistory: history, availableFunctions: functions, documentFunctionParams: true });
  const ids = state.contextText.tokenize(e.model.tokenizer);
  // the template's own text, special tokens written as the model spells them
  const prompt = state.contextText.values
    .map((v) =>
      typeof v === "string" ? v : v instanceof SpecialTokensText ? v.value : e.model.detokenize(v.tokenize(e.model.tokenizer), true),
    )
    .join("");
  return { prompt, tokens: ids.length };
}
