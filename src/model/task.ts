// The tasks an engine runs, as one vocabulary: what is asked (TaskRequest), what streams while it
// runs (TaskEvent) and what it ends with (TaskResults). Everything here is structured-clone
// serialisable, so a runner process can proxy a task unchanged.
import type {
  ChatRequest,
  CompleteRequest,
  EmbedRequest,
  RerankRequest,
  GenerationResult,
  EmbedResult,
  RerankResult,
  ToolCall,
  ChatMessage,
  ToolDefinition,
} from "./tasks/text.ts";
import type { OcrRequest, OcrResult, DetectRequest, DetectResult } from "./tasks/cv.ts";
import type { TranscribeRequest, TranscribeResult, SpeakRequest, SpeakResult, DiarizeRequest, DiarizeResult } from "./tasks/speech.ts";
import type { ImageRequest, ImageResult } from "./tasks/image.ts";

export type TaskName = TaskRequest["task"];

export type TaskRequest =
  | ChatRequest
  | CompleteRequest
  | EmbedRequest
  | RerankRequest
  | TokenizeRequest
  | DetokenizeRequest
  | RenderRequest
  | StateRequest
  | OcrRequest
  | DetectRequest
  | TranscribeRequest
  | SpeakRequest
  | DiarizeRequest
  | ImageRequest;

/** Model utilities of text engines (llama), sent through run() like tasks so that a runner process
 * proxies them unchanged: the tokenizer, and the KV cache of the sequence used last to/from a file. */
export interface TokenizeRequest {
  task: "tokenize";
  text: string;
  /** prepend the beginning-of-text token where the model uses one (llama-server's add_special) */
  addSpecial?: boolean;
}
/** Token ids back to text, with each token's own piece. */
export interface DetokenizeRequest {
  task: "detokenize";
  tokens: number[];
}
/** A chat rendered through the model's template as the engine would prompt it (ready for the
 * answer), and its token count: llama-server's /apply-template and Anthropic's count_tokens. */
export interface RenderRequest {
  task: "render";
  messages: ChatMessage[];
  tools?: ToolDefinition[];
}
export interface StateRequest {
  task: "state";
  action: "save" | "load";
  file: string;
}

/** What each task's final result is. */
export interface TaskResults {
  tokenize: { tokens: number[] };
  detokenize: { text: string; pieces: string[] };
  render: { prompt: string; tokens: number };
  state: { bytes: number };
  chat: GenerationResult;
  complete: GenerationResult;
  embed: EmbedResult;
  rerank: RerankResult;
  ocr: OcrResult;
  detect: DetectResult;
  asr: TranscribeResult;
  tts: SpeakResult;
  diarize: DiarizeResult;
  image: ImageResult;
}

/** Streamed while a task runs; the last event of a successful run is always `result`. */
export type TaskEvent =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "tool_call"; index: number; call: ToolCall }
  /** a fragment of a tool call's JSON arguments as the model writes them (the call's id and name ride
   * on every fragment); the fragments of one index joined are the final call's `arguments` */
  | { type: "tool_call_delta"; index: number; id: string; name: string; arguments: string }
  | { type: "audio"; samples: Float32Array; sampleRate: number }
  | { type: "segment"; startMs: number; endMs: number; text: string }
  /** a denoising step finished (image generation) */
  | { type: "progress"; step: number; steps: number }
  | { type: "result"; task: TaskName; result: TaskResults[TaskName] };
