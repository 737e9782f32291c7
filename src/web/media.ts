// The speech and file helpers the composer and messages use: transcription (/v1/audio/transcriptions),
// speech (/v1/audio/speech), and reading a dropped file as a data: URI or as text.
import { request } from "./api.ts";

export async function transcribe(audio: Blob, filename: string, model: string): Promise<string> {
  const form = new FormData();
  form.set("model", model);
  form.set("file", audio, filename);
  const res = await request("/v1/audio/transcriptions", { method: "POST", body: form });
  return ((await res.json()) as { text: string }).text;
}

/** Speaks text through a TTS model; resolves with a blob: URL of the WAV (revoke when done). */
export async function speak(text: string, model: string): Promise<string> {
  const res = await request("/v1/audio/speech", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, input: text, response_format: "wav" }),
  });
  return URL.createObjectURL(await res.blob());
}

export function dataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

export const isImage = (f: File) => f.type.startsWith("image/");
export const isAudio = (f: File) => f.type.startsWith("audio/") || /\.(wav|mp3|flac|ogg|opus|m4a|webm)$/i.test(f.name);
export const isText = (f: File) =>
  f.type.startsWith("text/") ||
  f.type === "application/json" ||
  /\.(txt|md|markdown|json|csv|tsv|log|xml|ya?ml|[cm]?[jt]sx?|py|rs|go|c|h|cpp|sh)$/i.test(f.name);
