// An image sent as base64 text (Anthropic's image blocks, Ollama's `images`) -> a checked, resized
// image part. The text is decoded to bytes here, so a client's string is never taken for a path.
import type { ContentPart } from "../model/tasks/text.ts";
import { prepareImagePart } from "../sdk/mediaParts.ts";
import { badParam, withParam } from "./errors.ts";

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

export async function imageFromBase64(data: string, param: string): Promise<ContentPart> {
  // a data: URI is accepted too (some clients send one where bare base64 is asked)
  const b64 = data.startsWith("data:") ? data.slice(data.indexOf(",") + 1) : data;
  const compact = b64.replace(/\s+/g, "");
  if (!compact || !BASE64.test(compact))
    throw badParam(param, "the image is not base64 text", "send the image file's bytes base64-encoded");
  try {
    return await prepareImagePart(new Uint8Array(Buffer.from(compact, "base64")));
  } catch (e) {
    throw e instanceof Error ? withParam(e, param) : e;
  }
}
