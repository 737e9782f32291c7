// OpenAI's transcription response formats: json, text, srt, vtt, verbose_json.
import type { TranscribeResult } from "../../model/tasks/speech.ts";
import type { TRANSCRIPT_FORMATS } from "../schemas/audio.ts";

export type ResponseFormat = (typeof TRANSCRIPT_FORMATS)[number];

function stamp(ms: number, sep: "," | "."): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(t % 1000, 3)}`;
}

export function toSrt(r: TranscribeResult): string {
  return r.segments.map((s, i) => `${i + 1}\n${stamp(s.startMs, ",")} --> ${stamp(s.endMs, ",")}\n${s.text.trim()}\n`).join("\n");
}

export function toVtt(r: TranscribeResult): string {
  return `WEBVTT\n\n${r.segments.map((s) => `${stamp(s.startMs, ".")} --> ${stamp(s.endMs, ".")}\n${s.text.trim()}\n`).join("\n")}`;
}

export function toVerboseJson(r: TranscribeResult) {
  return {
    task: "transcribe",
    language: r.language ?? "",
    duration: r.durationMs / 1000,
    text: r.text,
    segments: r.segments.map((s, id) => ({ id, start: s.startMs / 1000, end: s.endMs / 1000, text: s.text })),
  };
}

export function formatTranscript(r: TranscribeResult, format: ResponseFormat): { body: string | object; contentType: string } {
  switch (format) {
    case "text":
      return { body: `${r.text}\n`, contentType: "text/plain; charset=utf-8" };
    case "srt":
      return { body: toSrt(r), contentType: "application/x-subrip; charset=utf-8" };
    case "vtt":
      return { body: toVtt(r), contentType: "text/vtt; charset=utf-8" };
    case "verbose_json":
      return { body: toVerboseJson(r), contentType: "application/json; charset=utf-8" };
    default:
      return { body: { text: r.text }, contentType: "application/json; charset=utf-8" };
  }
}
