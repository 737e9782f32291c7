// Requests and results of speech tasks: recognition, synthesis, diarization.
import type { Profile } from "../profile.ts";

export interface TranscribeRequest {
  task: "asr";
  /** encoded audio (WAV, MP3, FLAC) */
  audio: Uint8Array;
  /** ISO code, or undefined to detect */
  language?: string;
  prompt?: string;
  /** cut silence before recognition (voice activity detection); default false in engines, true in the SDK */
  vad?: boolean;
}

/** A stretch of recognised speech with its times. */
export interface TranscriptSegment {
  startMs: number;
  endMs: number;
  text: string;
}

/** What `asr.transcribe()` resolves to. */
export interface TranscribeResult {
  text: string;
  language?: string;
  segments: TranscriptSegment[];
  durationMs: number;
  profile: Profile;
}

export interface SpeakRequest {
  task: "tts";
  text: string;
  voice?: string;
  /** 1.0 = normal */
  speed?: number;
}

/** What `tts.speak()` resolves to: the whole audio (`TTS.toWav(result)` gives a WAV file). */
export interface SpeakResult {
  sampleRate: number;
  /** mono float32 samples in [-1, 1] */
  samples: Float32Array;
  durationMs: number;
  profile: Profile;
}

export interface DiarizeRequest {
  task: "diarize";
  audio: Uint8Array;
  numSpeakers?: number;
}

/** What `diarizer.diarize()` resolves to: who spoke when. */
export interface DiarizeResult {
  segments: { startMs: number; endMs: number; speaker: number }[];
  profile: Profile;
}
