// What `hearth infer` does with media: file paths dropped or typed into a VLM prompt become image
// or audio inputs; ASR models transcribe a file with a profile line (real-time factor).
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import pc from "picocolors";
import { ASR } from "../../sdk/ASR.ts";
import { expandHome } from "../../config/env.ts";
import { mimeTypeForPath } from "../../sdk/mediaInput.ts";
import type { UserContentPart } from "../../sdk/mediaParts.ts";
import { formatDuration } from "../../media/audio.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { printJson } from "../output.ts";

export interface MediaReference {
  /** absolute path */
  path: string;
  kind: "image" | "audio";
}

export interface ExtractedPrompt {
  /** the prompt with the media paths taken out */
  text: string;
  media: MediaReference[];
  /** the prompt as content parts: text and media in the order typed */
  parts: UserContentPart[];
}

// a token: '...' or "..." quoted, or a run of non-spaces where "\ " is an escaped space (what
// terminals insert when a file is dropped), or file://...
const TOKEN = /'([^']+)'|"([^"]+)"|((?:\\ |[^\s])+)/g;

function kindOf(p: string): "image" | "audio" | undefined {
  const mime = mimeTypeForPath(p);
  return mime?.startsWith("image/") ? "image" : mime?.startsWith("audio/") ? "audio" : undefined;
}

function asPath(token: string, cwd: string): string | undefined {
  let p = token;
  if (p.startsWith("file://")) {
    try {
      p = decodeURIComponent(new URL(p).pathname);
    } catch {
      return undefined;
    }
  }
  p = p.replace(/\\ /g, " ");
  if (!kindOf(p)) return undefined;
  const abs = path.resolve(cwd, expandHome(p));
  return existsSync(abs) && statSync(abs).isFile() ? abs : undefined;
}

/**
 * Finds paths of existing image/audio files in typed text. Handles quotes, escaped spaces, `~` and
 * file:// URIs; a word that merely ends in .png but names no file stays text.
 */
export function extractMediaPaths(text: string, options: { cwd?: string } = {}): ExtractedPrompt {
  const cwd = options.cwd ?? process.cwd();
  const media: MediaReference[] = [];
  const parts: UserContentPart[] = [];
  let rest = "";
  let last = 0;
  const flush = (s: string) => {
    rest += s;
    const t = s.trim();
    if (t) parts.push({ type: "text", text: t });
  };
  for (const m of text.matchAll(TOKEN)) {
    const token = m[1] ?? m[2] ?? m[3];
    const p = asPath(token, cwd);
    if (!p) continue;
    flush(text.slice(last, m.index));
    const kind = kindOf(p)!;
    media.push({ path: p, kind });
    parts.push(kind === "image" ? { type: "image", image: p } : { type: "audio", audio: p });
    last = m.index! + m[0].length;
  }
  flush(text.slice(last));
  return { text: rest.replace(/\s{2,}/g, " ").trim(), media, parts };
}

export interface AsrInferOptions {
  input: string;
  language?: string;
  json?: boolean;
  threads?: number;
  vad?: boolean;
  /** whisper.cpp's retry temperature step (default 0.2; 0 = one decode pass) */
  temperatureInc?: number;
  /** where lines go (tests pass their own) */
  out?: (line: string) => void;
}

function clock(ms: number): string {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${(s - m * 60).toFixed(2).padStart(5, "0")}`;
}

/** `hearth infer <asr-model> -i talk.wav [--language en] [--json]` */
export async function runAsrInfer(model: string, options: AsrInferOptions): Promise<void> {
  const out = options.out ?? ((l: string) => process.stdout.write(l + "\n"));
  if (!options.input) throw new HearthError("bad_input", "no audio to transcribe", { hint: "give one with -i FILE" });
  // in a runner: whisper.cpp logs every load step on stderr, which is kept there (shown under --verbose)
  const asr = await ASR.load(model, { threads: options.threads, temperatureInc: options.temperatureInc, isolate: true });
  try {
    const r = await asr.transcribe(options.input, {
      language: options.language,
      vad: options.vad,
      onSegment: options.json ? undefined : (s) => out(`${pc.dim(`[${clock(s.startMs)} -> ${clock(s.endMs)}]`)} ${s.text.trim()}`),
    });
    if (options.json) {
      if (options.out) options.out(JSON.stringify(r, null, 2));
      else printJson(r);
      return;
    }
    const rtf = r.profile.realTimeFactor ?? 0;
    out(
      pc.dim(
        `${formatDuration(r.durationMs / 1000)} of audio in ${(r.profile.totalMs / 1000).toFixed(2)} s, real-time factor ${rtf.toFixed(3)} (${rtf ? (1 / rtf).toFixed(1) : "-"}x real time)${r.language ? `, language ${r.language}` : ""}, ${r.profile.device}`,
      ),
    );
  } finally {
    await asr.dispose();
  }
}
