// Requests, events and results of the text tasks: chat, complete, embed, rerank.
import type { Profile } from "../profile.ts";

/** Who wrote a chat message. */
export type Role = "system" | "user" | "assistant" | "tool";

/** A part of a message: text, or media for multimodal models (bytes travel as Uint8Array). */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; data: Uint8Array; mimeType?: string }
  | { type: "audio"; data: Uint8Array; mimeType?: string };

/** A call of a tool the model made. */
export interface ToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments, exactly as OpenAI carries them. */
  arguments: string;
}

/** One message of a conversation. */
export interface ChatMessage {
  role: Role;
  content: string | ContentPart[];
  /** assistant turns that called tools */
  toolCalls?: ToolCall[];
  /** tool turns: which call this answers */
  toolCallId?: string;
  name?: string;
}

/** A tool offered to the model, described by a JSON schema of its parameters. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON schema of the parameters */
  parameters?: Record<string, unknown>;
}

/** Whether the model may (`auto`), must (`required`, or `{ name }` for one tool) or must not (`none`) call a tool. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

/** How tokens are chosen. */
export interface SamplingOptions {
  /** default 0.8; 0 means greedy */
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repeatPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  /** default: until the context is full */
  maxTokens?: number;
  stop?: string[];
  /** token id -> bias; -Infinity forbids the token */
  logitBias?: Record<number, number>;
  /** never end on the model's end-of-generation tokens: generate until maxTokens or a stop string (llama.cpp's ignore_eos) */
  ignoreEos?: boolean;
}

/** Constrained output: a GBNF grammar or a JSON schema (compiled to a grammar by the backend). */
export type OutputConstraint =
  | { type: "grammar"; grammar: string }
  | { type: "json_schema"; schema: Record<string, unknown> }
  | { type: "json_object" };

export interface ChatRequest {
  task: "chat";
  messages: ChatMessage[];
  sampling?: SamplingOptions;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  constraint?: OutputConstraint;
}

export interface CompleteRequest {
  task: "complete";
  prompt: string;
  sampling?: SamplingOptions;
  constraint?: OutputConstraint;
}

export interface EmbedRequest {
  task: "embed";
  texts: string[];
  /** default true: unit length */
  normalize?: boolean;
}

export interface RerankRequest {
  task: "rerank";
  query: string;
  documents: string[];
}

/** Why a generation ended. */
export type FinishReason = "stop" | "length" | "tool_calls" | "abort";

/** The whole of a generation: text, reasoning, tool calls, why it ended, token counts and the profile. */
export interface GenerationResult {
  text: string;
  /** text of <think> blocks, kept apart from the answer */
  reasoning?: string;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  usage: { promptTokens: number; completionTokens: number };
  profile: Profile;
}

/** What `embedder.embed()` resolves to: one vector per text, in input order. */
export interface EmbedResult {
  vectors: number[][];
  usage: { promptTokens: number };
  profile: Profile;
}

/** What `reranker.rank()` resolves to. */
export interface RerankResult {
  /** one score per document, in input order */
  scores: number[];
  usage: { promptTokens: number };
  profile: Profile;
}
