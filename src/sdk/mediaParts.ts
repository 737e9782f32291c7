// Turns what users give (paths, bytes, data URIs) into the ContentParts engines take: images
// decoded, oriented and shrunk (sharp); audio decoded, mixed to mono and resampled to 16 kHz WAV.
// Shared by the VLM class, the CLI and the server, so all three refuse bad media the same way.
import type { ContentPart } from "../model/tasks/text.ts";
import { prepareImage, type ImageLimits } from "../media/image.ts";
import { decodeAudio, encodeWav, type AudioLimits } from "../media/audio.ts";
import { readMediaSource, type MediaInputOptions, type MediaSource } from "./mediaInput.ts";

/** A message part as users write it. */
export type UserContentPart =
  | { type: "text"; text: string }
  | { type: "image"; image: MediaSource }
  | { type: "audio"; audio: MediaSource };

/** How images and audio in messages are prepared for the model. */
export interface MediaOptions extends MediaInputOptions, AudioLimits {
  /** longest image side after resizing (default 1024); maps to --image-max-length */
  imageMaxLength?: number;
  /** refuse images above this many pixels (default 100 M) */
  imageMaxPixels?: number;
  /** sample rate audio is converted to (default 16000, what audio encoders take) */
  audioSampleRate?: number;
}

export async function prepareImagePart(source: MediaSource, options: MediaOptions = {}): Promise<ContentPart> {
  const { data } = await readMediaSource(source, options);
  const limits: ImageLimits = { maxLength: options.imageMaxLength, maxPixels: options.imageMaxPixels };
  const img = await prepareImage(data, limits);
  return { type: "image", data: img.data, mimeType: img.mimeType };
}

export async function prepareAudioPart(source: MediaSource, options: MediaOptions = {}): Promise<ContentPart> {
  const { data } = await readMediaSource(source, options);
  const audio = await decodeAudio(data, { maxSeconds: options.maxSeconds, sampleRate: options.audioSampleRate ?? 16000 });
  return { type: "audio", data: encodeWav(audio.samples, audio.sampleRate), mimeType: "audio/wav" };
}

export async function prepareContentPart(part: UserContentPart | ContentPart, options: MediaOptions = {}): Promise<ContentPart> {
  if (part.type === "text") return part;
  if (part.type === "image") return prepareImagePart("image" in part ? part.image : part.data, options);
  return prepareAudioPart("audio" in part ? part.audio : part.data, options);
}
