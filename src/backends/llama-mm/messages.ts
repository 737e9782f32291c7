// Our chat messages -> @fugood/llama.node's OpenAI-like messages. Media travel as base64 data URIs
// (llama.node decodes them natively), so no temporary files are written.
import type { ChatMessage as LlamaNodeMessage, MessagePart } from "@fugood/llama.node";
import type { ChatMessage, ContentPart } from "../../model/tasks/text.ts";
import { HearthError } from "../../errors/HearthError.ts";

export interface MediaSupport {
  vision: boolean;
  audio: boolean;
}

function dataUri(data: Uint8Array, mimeType: string): string {
  return `data:${mimeType};base64,${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64")}`;
}

function convertPart(part: ContentPart, support: MediaSupport): MessagePart {
  if (part.type === "text") return { type: "text", text: part.text };
  if (part.type === "image") {
    if (!support.vision) {
      throw new HearthError("unsupported_task", "this model cannot read images: it was loaded without a vision projector (mmproj)", {
        hint: "load a vision model with its mmproj file (VLM.load(model, { mmproj }) or --mmproj)",
      });
    }
    return { type: "image_url", image_url: { url: dataUri(part.data, part.mimeType ?? "image/png") } };
  }
  if (!support.audio) {
    throw new HearthError("unsupported_task", "this model cannot hear audio: its projector (mmproj) has no audio encoder", {
      hint: "use an audio-input model (e.g. Ultravox, Qwen2.5-Omni, Voxtral) with its mmproj file",
    });
  }
  const mime = part.mimeType ?? "audio/wav";
  const format = mime.includes("mpeg") || mime.includes("mp3") ? "mp3" : "wav";
  return { type: "input_audio", input_audio: { format, url: dataUri(part.data, mime) } };
}

export function toLlamaNodeMessages(messages: ChatMessage[], support: MediaSupport): LlamaNodeMessage[] {
  return messages.map((m) => ({
    role: m.role,
    content: typeof m.content === "string" ? m.content : m.content.map((p) => convertPart(p, support)),
  }));
}

export function countMedia(messages: ChatMessage[]): { images: number; audio: number } {
  let images = 0;
  let audio = 0;
  for (const m of messages) {
    if (typeof m.content === "string") continue;
    for (const p of m.content) {
      if (p.type === "image") images++;
      if (p.type === "audio") audio++;
    }
  }
  return { images, audio };
}
