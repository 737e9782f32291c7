// OpenAI chat content parts -> our ContentParts: `image_url` (data: URI, or http(s) when allowed)
// and `input_audio` ({ data: base64, format: wav | mp3 | flac }). Media are decoded, checked and
// resized here, so a corrupt image is a 400 before any engine sees it.
import type { ContentPart } from "../model/tasks/text.ts";
import { HearthError } from "../errors/HearthError.ts";
import { prepareAudioPart, prepareImagePart, type MediaOptions } from "../sdk/mediaParts.ts";

export type OpenAIContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: string | { url: string; detail?: string } }
  | { type: "input_audio"; input_audio: { data: string; format: string } }
  | { type: string; [k: string]: unknown };

export interface ContentConversionOptions extends MediaOptions {
  /** fetch http(s) image URLs (default false: the server must not fetch addresses for clients) */
  allowRemote?: boolean;
}

const AUDIO_FORMATS = new Set(["wav", "mp3", "flac", "ogg"]);

export async function fromOpenAIContent(
  content: string | OpenAIContentPart[],
  options: ContentConversionOptions = {},
): Promise<string | ContentPart[]> {
  if (typeof content === "string") return content;
  if (!Array.isArray(content))
    throw new HearthError("bad_input", "message content must be a string or an array of parts", { hint: "see the OpenAI chat API" });
  return Promise.all(
    content.map(async (part, i): Promise<ContentPart> => {
      if (part.type === "text" && typeof part.text === "string") return { type: "text", text: part.text };
      if (part.type === "image_url") {
        const ref = part.image_url as string | { url?: string } | undefined;
        const url = typeof ref === "string" ? ref : ref?.url;
        if (!url) throw new HearthError("bad_input", `content[${i}].image_url.url is missing`, { hint: "give a data: URI" });
        if (!url.startsWith("data:") && !/^https?:\/\//i.test(url)) {
          // a server never reads its own disk on a client's say-so
          throw new HearthError("bad_input", `content[${i}].image_url.url must be a data: URI or an http(s) URL`, {
            hint: "send the image bytes as data:image/png;base64,...",
          });
        }
        return prepareImagePart(url, { ...options, allowRemote: options.allowRemote ?? false });
      }
      if (part.type === "input_audio") {
        const a = part.input_audio as { data?: string; format?: string } | undefined;
        if (!a?.data) throw new HearthError("bad_input", `content[${i}].input_audio.data is missing`, { hint: "give base64 audio bytes" });
        const format = (a.format ?? "wav").toLowerCase();
        if (!AUDIO_FORMATS.has(format))
          throw new HearthError("bad_input", `content[${i}].input_audio.format "${a.format}" is not supported`, {
            hint: "use wav, mp3 or flac",
          });
        return prepareAudioPart(new Uint8Array(Buffer.from(a.data, "base64")), options);
      }
      throw new HearthError("bad_input", `content[${i}] has an unsupported type "${part.type}"`, {
        hint: "use text, image_url or input_audio",
      });
    }),
  );
}
