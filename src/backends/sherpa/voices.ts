// Named voices of a multi-speaker TTS model. sherpa-onnx selects a speaker by number (sid); the
// names come from the model's metadata (`speaker_names`, comma-separated, as sherpa-onnx's Kokoro
// exports carry them). A voice may be given by name (any case) or by number.
import { HearthError } from "../../errors/HearthError.ts";

export function voiceNames(metadata: Record<string, string>, numSpeakers: number): string[] {
  const names = (metadata.speaker_names ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === Math.max(numSpeakers, 1)) return names;
  // unnamed speakers: their numbers are their names
  return Array.from({ length: Math.max(numSpeakers, 1) }, (_, i) => String(i));
}

/** The speaker id for a voice; undefined picks the first. Unknown voices are refused with the list. */
export function speakerId(voice: string | undefined, voices: string[]): number {
  if (voice === undefined || voice === "") return 0;
  const v = voice.trim().toLowerCase();
  const byName = voices.findIndex((n) => n.toLowerCase() === v);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(v) && Number(v) < voices.length) return Number(v);
  const shown = voices.length > 12 ? `${voices.slice(0, 12).join(", ")}, ... (${voices.length} in all)` : voices.join(", ");
  throw new HearthError("bad_input", `unknown voice "${voice}"`, { hint: `this model has: ${shown}` });
}
