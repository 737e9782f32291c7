// `hearth infer <tts-model> -p "text" -o out.wav --voice NAME --speed 1.2`: synthesises speech to a
// WAV file (or raw PCM for .pcm/.raw, or WAV on stdout for `-o -`) and prints a profile line with
// the real-time factor.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import pc from "picocolors";
import { TTS } from "../../sdk/TTS.ts";
import { formatDuration } from "../../media/audio.ts";
import { HearthError } from "../../errors/HearthError.ts";

export interface TtsInferOptions {
  /** the text to speak */
  text?: string;
  /** a file holding the text ("-" = stdin), when `text` is not given */
  input?: string;
  /** .wav (default), .pcm/.raw (16-bit little-endian, no header), or "-" for WAV on stdout */
  output?: string;
  voice?: string;
  speed?: number;
  json?: boolean;
  threads?: number;
  /** where lines go (tests pass their own) */
  out?: (line: string) => void;
}

export const DEFAULT_TTS_OUTPUT = "speech.wav";

async function readText(o: TtsInferOptions): Promise<string> {
  if (o.text !== undefined) return o.text;
  if (o.input === "-" || (!o.input && !process.stdin.isTTY)) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  if (o.input) {
    try {
      return await readFile(o.input, "utf8");
    } catch (e) {
      throw new HearthError("bad_input", `cannot read ${o.input}: ${(e as Error).message}`, { hint: "check the path" });
    }
  }
  throw new HearthError("bad_input", "no text to speak", { hint: 'give it with -p "text" (or -i FILE, or on stdin)' });
}

function outputKind(output: string): "wav" | "pcm" {
  if (output === "-") return "wav";
  const ext = path.extname(output).toLowerCase();
  if (ext === ".wav" || ext === "") return "wav";
  if (ext === ".pcm" || ext === ".raw") return "pcm";
  throw new HearthError("bad_input", `cannot write ${ext} audio`, { hint: "write .wav, or .pcm/.raw for headerless 16-bit PCM" });
}

/** `hearth infer <tts-model> -p "text" -o out.wav [--voice NAME] [--speed 1.2] [--json]` */
export async function runTtsInfer(model: string, options: TtsInferOptions): Promise<void> {
  const output = options.output ?? DEFAULT_TTS_OUTPUT;
  const kind = outputKind(output);
  const toStdout = output === "-";
  // with audio on stdout, people-facing lines go to stderr
  const out = options.out ?? ((l: string) => (toStdout ? process.stderr : process.stdout).write(l + "\n"));
  const text = (await readText(options)).trim();
  if (!text) throw new HearthError("bad_input", "the text to speak is empty", { hint: 'give some text with -p "text"' });
  const tts = await TTS.load(model, { threads: options.threads });
  try {
    const r = await tts.speak(text, { voice: options.voice, speed: options.speed });
    const bytes = kind === "wav" ? TTS.toWav(r) : TTS.toPcm16(r.samples);
    if (toStdout) process.stdout.write(bytes);
    else await writeFile(output, bytes);
    const summary = {
      output: toStdout ? "-" : path.resolve(output),
      format: kind,
      sampleRate: r.sampleRate,
      durationMs: r.durationMs,
      voice: options.voice ?? tts.voices[0],
      speed: options.speed ?? 1,
      characters: text.length,
      profile: r.profile,
    };
    if (options.json) {
      out(JSON.stringify(summary, null, 2));
      return;
    }
    const rtf = r.profile.realTimeFactor ?? 0;
    out(
      pc.dim(
        `${toStdout ? "wrote WAV to stdout" : `wrote ${output}`}: ${formatDuration(r.durationMs / 1000)} of audio at ${r.sampleRate} Hz, ` +
          `voice ${summary.voice}, speed ${summary.speed}, in ${(r.profile.totalMs / 1000).toFixed(2)} s, ` +
          `real-time factor ${rtf >= 0.01 ? rtf.toFixed(3) : rtf.toPrecision(2)} (${rtf ? (1 / rtf).toFixed(1) : "-"}x real time)` +
          `${r.profile.ttftMs !== undefined ? `, first audio after ${Math.round(r.profile.ttftMs)} ms` : ""}, ${r.profile.device}`,
      ),
    );
  } finally {
    await tts.dispose();
  }
}
