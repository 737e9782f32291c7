// Speech synthesis and diarization speed through the sherpa-onnx engine: real-time factor (median
// over rounds), time to first audio and characters per second for TTS at several text lengths and
// thread counts; real-time factor of diarization on espeak-ng speech.
//
//   npm run bench:speech -- [--tts DIR] [--diarize DIR] [--threads 1,2] [--rounds 3] [--json]
//
// Without --tts / --diarize it runs on the random-weight fixtures, whose graphs are far smaller than
// real VITS/Kokoro/pyannote models: those figures measure the engine's overhead (front end, ONNX
// Runtime calls, callbacks), not a real model's speed. Give real model folders for real figures.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TTS } from "../src/sdk/TTS.ts";
import { Diarizer } from "../src/sdk/Diarizer.ts";
import { physicalCores } from "../src/devices/cpuCores.ts";
import { ensureTtsFixture, ensureDiarizeFixture } from "../fixtures/speechOnnx.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const list = (v: string | undefined, d: number[]) =>
  v
    ? v
        .split(",")
        .map(Number)
        .filter((n) => n > 0)
    : d;

const threadsList = list(arg("threads"), [...new Set([1, physicalCores()])]);
const rounds = Number(arg("rounds") ?? 3);
const json = process.argv.includes("--json");
const ttsModel = arg("tts") ?? ensureTtsFixture();
const diarizeModel = arg("diarize") ?? ensureDiarizeFixture().dir;

const SENTENCE = "The quick brown fox jumps over the lazy dog while the town clock strikes nine.";
const TEXTS = { short: "Good morning.", sentence: SENTENCE, paragraph: Array(6).fill(SENTENCE).join(" ") };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface TtsRow {
  threads: number;
  text: keyof typeof TEXTS;
  chars: number;
  audioMs: number;
  rtf: number;
  firstAudioMs: number;
  charsPerSec: number;
}
interface DiarizeRow {
  threads: number;
  audioMs: number;
  rtf: number;
  segments: number;
}

const ttsRows: TtsRow[] = [];
for (const threads of threadsList) {
  const tts = await TTS.load(ttsModel, { threads });
  await tts.speak("Warm up."); // first runs allocate
  for (const [name, text] of Object.entries(TEXTS) as [keyof typeof TEXTS, string][]) {
    const runs = [];
    for (let i = 0; i < rounds; i++) runs.push(await tts.speak(text));
    const rtf = median(runs.map((r) => r.profile.realTimeFactor ?? 0));
    const total = median(runs.map((r) => r.profile.totalMs));
    ttsRows.push({
      threads,
      text: name,
      chars: text.length,
      audioMs: runs[0].durationMs,
      rtf,
      firstAudioMs: median(runs.map((r) => r.profile.ttftMs ?? r.profile.totalMs)),
      charsPerSec: text.length / (total / 1000),
    });
  }
  await tts.dispose();
}

const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-bench-speech-"));
const diarizeRows: DiarizeRow[] = [];
try {
  const parts = [0, 1, 2, 3].map((i) => {
    const f = path.join(dir, `${i}.wav`);
    execFileSync("espeak-ng", ["-v", i % 2 ? "en-us+f3" : "en-us+m3", "-w", f, Array(3).fill(SENTENCE).join(" ")]);
    return f;
  });
  const talk = path.join(dir, "talk.wav");
  execFileSync("sox", [...parts, talk]);
  const audio = readFileSync(talk);
  for (const threads of threadsList) {
    const d = await Diarizer.load(diarizeModel, { threads });
    await d.diarize(audio);
    const runs = [];
    for (let i = 0; i < rounds; i++) runs.push(await d.diarize(audio, { numSpeakers: 2 }));
    const audioMs = runs[0].profile.totalMs / (runs[0].profile.realTimeFactor ?? 1);
    diarizeRows.push({ threads, audioMs, rtf: median(runs.map((r) => r.profile.realTimeFactor ?? 0)), segments: runs[0].segments.length });
    await d.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (json) {
  process.stdout.write(JSON.stringify({ ttsModel, diarizeModel, rounds, tts: ttsRows, diarize: diarizeRows }, null, 2) + "\n");
} else {
  console.log(`TTS ${ttsModel} (median of ${rounds})`);
  console.log("threads  text       chars  audio s   RTF      first audio ms  chars/s");
  for (const r of ttsRows) {
    console.log(
      `${String(r.threads).padEnd(9)}${r.text.padEnd(11)}${String(r.chars).padEnd(7)}${(r.audioMs / 1000).toFixed(2).padEnd(10)}${r.rtf.toFixed(4).padEnd(9)}${r.firstAudioMs.toFixed(1).padEnd(16)}${r.charsPerSec.toFixed(0)}`,
    );
  }
  console.log(`\nDiarization ${diarizeModel} (median of ${rounds})`);
  console.log("threads  audio s   RTF      segments");
  for (const r of diarizeRows) {
    console.log(`${String(r.threads).padEnd(9)}${(r.audioMs / 1000).toFixed(1).padEnd(10)}${r.rtf.toFixed(4).padEnd(9)}${r.segments}`);
  }
}
