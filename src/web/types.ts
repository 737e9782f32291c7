// What the app reads from the server (/hearth/*, /v1/*) and keeps in the browser (conversations).

export type ModelType = "llm" | "vlm" | "embedder" | "reranker" | "asr" | "tts" | "cv" | "image_gen" | "diarize";

export interface ModelStatus {
  id: string;
  type: ModelType;
  state: "loading" | "ready" | "unloading";
  backend?: string;
  device?: string;
  memoryBytes?: number;
  /** the process it runs in, and whether that is a runner of its own or the server's process */
  pid?: number;
  runner?: boolean;
  active: number;
  queued: number;
}

/** One row of GET /hearth/models. */
export interface ModelEntry {
  id: string;
  type?: ModelType;
  format?: string;
  quant?: string;
  source: "served" | "store" | "embedded";
  status: ModelStatus | null;
}

/** hearth's figures on a stream's last chunk (`hearth` field). */
export interface Figures {
  backend: string;
  device: string;
  ttft_ms: number | null;
  prefill_tokens_per_sec: number | null;
  decode_tokens_per_sec: number | null;
  total_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
}

export interface TextFile {
  name: string;
  text: string;
}

export interface Message {
  role: "user" | "assistant";
  content: string;
  /** images as data: URIs (user messages to a vision model) */
  images?: string[];
  /** text files given as context (user messages) */
  files?: TextFile[];
  reasoning?: string;
  figures?: Figures;
  /** the model that answered */
  model?: string;
  stopped?: boolean;
  error?: string;
}

export interface Sampling {
  temperature: number;
  top_p: number;
  max_tokens: number;
}

export interface Conversation {
  id: string;
  title: string;
  model: string;
  system: string;
  sampling: Sampling;
  messages: Message[];
  updatedAt: number;
}

export const DEFAULT_SAMPLING: Sampling = { temperature: 0.7, top_p: 0.95, max_tokens: 512 };
