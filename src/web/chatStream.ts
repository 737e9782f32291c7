// Streams a chat completion from /v1/chat/completions (OpenAI's SSE) and hands each delta on.
// Aborting the signal closes the connection, and the server stops generating and frees the slot.
import { ApiError, request } from "./api.ts";
import type { Conversation, Figures, Message } from "./types.ts";

export interface StreamEnd {
  figures?: Figures;
  finishReason?: string;
}

export interface Delta {
  content?: string;
  reasoning?: string;
}

type Part = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

function contentOf(m: Message): string | Part[] {
  const text = [...(m.files ?? []).map((f) => `${f.name}:\n\`\`\`\n${f.text}\n\`\`\``), m.content].filter(Boolean).join("\n\n");
  if (!m.images?.length) return text;
  return [...m.images.map((url) => ({ type: "image_url" as const, image_url: { url } })), { type: "text" as const, text }];
}

/** The request body for a conversation's messages (answers that failed are left out). */
export function chatBody(c: Conversation, messages: Message[]) {
  const sent = messages.filter((m) => !m.error).map((m) => ({ role: m.role, content: contentOf(m) }));
  return {
    model: c.model,
    messages: c.system.trim() ? [{ role: "system", content: c.system }, ...sent] : sent,
    stream: true,
    stream_options: { include_usage: true },
    temperature: c.sampling.temperature,
    top_p: c.sampling.top_p,
    max_tokens: c.sampling.max_tokens,
  };
}

export async function streamChat(body: unknown, signal: AbortSignal, onDelta: (d: Delta) => void): Promise<StreamEnd> {
  const res = await request("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const end: StreamEnd = {};
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    for (;;) {
      const cut = buffer.indexOf("\n\n");
      if (cut < 0) break;
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") return end;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new ApiError(chunk.error.message ?? "the server failed mid-answer", 500);
        const choice = chunk.choices?.[0];
        const delta = choice?.delta;
        if (delta?.content) onDelta({ content: delta.content });
        if (delta?.reasoning_content) onDelta({ reasoning: delta.reasoning_content });
        if (choice?.finish_reason) end.finishReason = choice.finish_reason;
        if (chunk.hearth) end.figures = chunk.hearth;
      }
    }
  }
  return end;
}
