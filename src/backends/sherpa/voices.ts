// Named voices of a multi-speaker TTS model. sherpa-onnx selects a speaker by number (sid); the
// names come from the model's metadata (`speaker_names`, comma-separated, as sherpa-onnx's Kokoro
// exports carry them) or from a Piper voice's JSON config. A voice may be given by name (any case) or
// by number.
import { existsSync, readFileSync } from "node:fs";
import { HearthError } from "../../errors/HearthError.ts";

/**
 * Speaker names from a Piper voice's `<model>.onnx.json` (`speaker_id_map`: name -> id), which
 * sherpa-onnx's Piper conversions ship beside the model; undefined when there is none.
 */
export function piperSpeakerNames(onnxFile: string): string[] | undefined {
  const sidecar = `${onnxFile}.json`;
  if (!existsSync(sidecar)) return undefined;
  try {
    const map = (JSON.parse(readFileSync(sidecar, "utf8")) as { speaker_id_map?: Record<string, number> }).speaker_id_map ?? {};
    const names: string[] = [];
    for (const [name, id] of Object.entries(map)) if (Number.isInteger(id) && id >= 0) names[id] = name;
    return names.length && !names.includes(undefined as never) ? names : undefined;
  } catch {
    return undefined; // an unreadable sidecar only costs the names
  }
}

export function voiceNames(metadata: Record<string, string>, numSpeakers: number, sidecarNames?: string[]): string[] {
  const fromMetadata = (metadata.speaker_names ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const names of [fromMetadata, sidecarNames ?? []]) if (names.length === Math.max(numSpeakers, 1)) return names;
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
