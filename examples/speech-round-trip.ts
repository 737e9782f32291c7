// Speech round trip: transcribe a recording (ASR), then speak a reply (TTS) into a WAV file.
// Run: npx tsx examples/speech-round-trip.ts [in.wav] [out.wav]
// (HEARTH_ASR: a whisper.cpp model, default whisper; HEARTH_TTS: a VITS/Piper or Kokoro ONNX model)
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ASR, TTS } from "hearth";

const input = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "hello.wav");
const output = process.argv[3] ?? "reply.wav";

const asr = await ASR.load(process.env.HEARTH_ASR ?? "whisper");
const heard = await asr.transcribe(input, { language: "en" });
await asr.dispose();
console.log(`heard (${(heard.durationMs / 1000).toFixed(1)} s of audio): ${heard.text.trim() || "(nothing)"}`);

const tts = await TTS.load(process.env.HEARTH_TTS ?? "csukuangfj/vits-piper-en_US-amy-low");
const reply = await tts.speak(`You said: ${heard.text.trim() || "nothing"}`);
await tts.dispose();
writeFileSync(output, TTS.toWav(reply));
console.log(`wrote ${output}: ${(reply.durationMs / 1000).toFixed(1)} s at ${reply.sampleRate} Hz`);
