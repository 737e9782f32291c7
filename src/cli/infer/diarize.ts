// `hearth infer <diarization-model> -i meeting.wav [--num-speakers 2]`: who spoke when, one line a
// turn, and a profile line with the real-time factor.
import pc from "picocolors";
import { Diarizer } from "../../sdk/Diarizer.ts";
import { HearthError } from "../../errors/HearthError.ts";

export interface DiarizeInferOptions {
  input: string;
  numSpeakers?: number;
  /** speaker embedding model, when not beside the segmentation model */
  embedding?: string;
  json?: boolean;
  threads?: number;
  /** where lines go (tests pass their own) */
  out?: (line: string) => void;
}

function clock(ms: number): string {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${(s - m * 60).toFixed(2).padStart(5, "0")}`;
}

export async function runDiarizeInfer(model: string, options: DiarizeInferOptions): Promise<void> {
  const out = options.out ?? ((l: string) => process.stdout.write(l + "\n"));
  if (!options.input) throw new HearthError("bad_input", "no audio to diarize", { hint: "give one with -i FILE" });
  const d = await Diarizer.load(model, { threads: options.threads, embedding: options.embedding });
  try {
    const r = await d.diarize(options.input, { numSpeakers: options.numSpeakers });
    if (options.json) {
      out(JSON.stringify(r, null, 2));
      return;
    }
    for (const s of r.segments) out(`${pc.dim(`[${clock(s.startMs)} -> ${clock(s.endMs)}]`)} speaker ${s.speaker}`);
    const speakers = new Set(r.segments.map((s) => s.speaker)).size;
    const rtf = r.profile.realTimeFactor ?? 0;
    out(
      pc.dim(
        `${r.segments.length} turns, ${speakers} speaker${speakers === 1 ? "" : "s"}, in ${(r.profile.totalMs / 1000).toFixed(2)} s, ` +
          `real-time factor ${rtf >= 0.01 ? rtf.toFixed(3) : rtf.toPrecision(2)} (${rtf ? (1 / rtf).toFixed(0) : "-"}x real time), ${r.profile.device}`,
      ),
    );
  } finally {
    await d.dispose();
  }
}
