// Audio for speech and audio-input models: check the declared duration from the header (so a
// 3-hour file is refused before it is decoded), decode (WAV with wavefile, MP3/FLAC/OGG... with
// audio-decode), mix to mono and resample to the rate the model needs; and encode WAV for output.
import wavefilePkg from "wavefile";
import decodeAudioFile from "audio-decode";
import { HearthError } from "../errors/HearthError.ts";

const { WaveFile } = wavefilePkg;

export type AudioFormat = "wav" | "mp3" | "flac" | "ogg" | "unknown";

/** Limits on audio input, checked before decoding. */
export interface AudioLimits {
  /** refuse longer audio (default 2 hours) */
  maxSeconds?: number;
}

export interface DecodedAudio {
  /** mono float32 samples in [-1, 1] */
  samples: Float32Array;
  sampleRate: number;
  durationMs: number;
}

export const DEFAULT_AUDIO_MAX_SECONDS = 2 * 3600;

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

export function detectAudioFormat(b: Uint8Array): AudioFormat {
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WAVE") return "wav";
  if (b.length >= 4 && ascii(b, 0, 4) === "fLaC") return "flac";
  if (b.length >= 4 && ascii(b, 0, 4) === "OggS") return "ogg";
  if (b.length >= 3 && ascii(b, 0, 3) === "ID3") return "mp3";
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0) return "mp3";
  return "unknown";
}

function bad(message: string, hint = "give a valid WAV, MP3 or FLAC file"): HearthError {
  return new HearthError("unsupported_media", message, { hint });
}

interface WavHeader {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** bytes of sample data the header declares */
  dataBytes: number;
  /** bytes of sample data actually present */
  presentBytes: number;
}

/** Walks the RIFF chunks of a WAV file without decoding samples. */
export function readWavHeader(b: Uint8Array): WavHeader {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 12;
  let fmt: { channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (at + 8 <= b.length) {
    const id = ascii(b, at, 4);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (body + 16 > b.length) break;
      fmt = { channels: v.getUint16(body + 2, true), sampleRate: v.getUint32(body + 4, true), bitsPerSample: v.getUint16(body + 14, true) };
    } else if (id === "data") {
      if (!fmt) throw bad("the WAV file has no format chunk before its data");
      // streaming writers put 0 or 0xffffffff when the length was unknown: take what is there
      const declared = size === 0 || size === 0xffffffff ? b.length - body : size;
      return { ...fmt, dataBytes: declared, presentBytes: Math.min(declared, b.length - body) };
    }
    at = body + size + (size & 1);
  }
  throw bad("the WAV file is truncated: no complete format and data chunks");
}

/** Declared duration in seconds from the header alone, where the format tells it; undefined otherwise. */
export function declaredDurationSeconds(b: Uint8Array): number | undefined {
  const format = detectAudioFormat(b);
  if (format === "wav") {
    const h = readWavHeader(b);
    const frame = h.channels * Math.ceil(h.bitsPerSample / 8);
    return frame && h.sampleRate ? h.dataBytes / frame / h.sampleRate : undefined;
  }
  if (format === "flac" && b.length >= 42) {
    // STREAMINFO: 20-bit sample rate, then 36-bit total samples (bits after channels and bps)
    const si = 8;
    const rate = (b[si + 10] << 12) | (b[si + 11] << 4) | (b[si + 12] >> 4);
    const total = (b[si + 13] & 0x0f) * 2 ** 32 + ((b[si + 14] << 24) >>> 0) + (b[si + 15] << 16) + (b[si + 16] << 8) + b[si + 17];
    return rate && total ? total / rate : undefined;
  }
  return undefined;
}

function checkDuration(seconds: number | undefined, limits: AudioLimits) {
  const max = limits.maxSeconds ?? DEFAULT_AUDIO_MAX_SECONDS;
  if (seconds !== undefined && seconds > max) {
    throw bad(`the audio is ${formatDuration(seconds)} long, more than the limit of ${formatDuration(max)}`, "split it into shorter files");
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${Math.round(seconds * 100) / 100} s`;
}

function mono(channels: ArrayLike<number>[], frames: number): Float32Array {
  const out = new Float32Array(frames);
  for (const ch of channels) for (let i = 0; i < frames; i++) out[i] += ch[i] / channels.length;
  return out;
}

// Windowed-sinc resampler with a precomputed kernel table. wavefile's own resampler gives the
// same result but spends ~4 s per minute of audio here (it repacks samples into bytes), which is
// too slow for hour-long recordings; this runs at ~100x real time and above.
const TAPS = 16; // kernel half-width in input samples (at the lower of the two rates)
const PHASES = 256;

function kernelTable(cutoff: number): Float32Array {
  const table = new Float32Array(PHASES * 2 * TAPS);
  for (let p = 0; p < PHASES; p++) {
    const frac = p / PHASES;
    for (let k = 0; k < 2 * TAPS; k++) {
      const x = k - TAPS + 1 - frac; // distance from the output position, in input samples
      const t = x * cutoff;
      const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
      const window = 0.5 + 0.5 * Math.cos((Math.PI * x) / TAPS); // Hann
      table[p * 2 * TAPS + k] = Math.abs(x) < TAPS ? cutoff * sinc * window : 0;
    }
  }
  return table;
}

/** Resamples mono audio; no-op when the rate already matches. Band-limits when downsampling. */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to || samples.length === 0) return samples;
  const ratio = from / to;
  const cutoff = Math.min(1, to / from);
  const table = kernelTable(cutoff);
  const n = Math.floor(samples.length / ratio);
  const out = new Float32Array(n);
  const width = 2 * TAPS;
  for (let i = 0; i < n; i++) {
    const pos = i * ratio;
    const base = Math.floor(pos);
    const row = Math.floor((pos - base) * PHASES) * width;
    let acc = 0;
    let j = base - TAPS + 1;
    for (let k = 0; k < width; k++, j++) {
      if (j >= 0 && j < samples.length) acc += samples[j] * table[row + k];
    }
    out[i] = acc;
  }
  return out;
}

/** Decodes encoded audio to mono float samples at `sampleRate` (default 16 kHz, what speech models take). */
export async function decodeAudio(bytes: Uint8Array, options: AudioLimits & { sampleRate?: number } = {}): Promise<DecodedAudio> {
  const target = options.sampleRate ?? 16000;
  if (bytes.length === 0) throw bad("the audio file is empty (0 bytes)");
  const format = detectAudioFormat(bytes);
  if (format === "unknown") throw bad("unrecognised audio format");
  checkDuration(declaredDurationSeconds(bytes), options);

  let channels: ArrayLike<number>[];
  let rate: number;
  if (format === "wav") {
    const h = readWavHeader(bytes);
    if (h.presentBytes < h.dataBytes) {
      throw bad(`the WAV file is truncated: its header declares ${h.dataBytes} bytes of samples, ${h.presentBytes} are present`);
    }
    try {
      const wav = new WaveFile(bytes);
      if (wav.bitDepth !== "32f" && wav.bitDepth !== "64") wav.toBitDepth("32f");
      const s = wav.getSamples(false, Float32Array as never) as unknown as Float32Array | Float32Array[];
      channels = h.channels > 1 ? (s as Float32Array[]) : [s as Float32Array];
      rate = h.sampleRate;
    } catch (e) {
      throw bad(`cannot decode the WAV file: ${e instanceof Error ? e.message : e}`);
    }
  } else {
    try {
      const decoded = await decodeAudioFile(bytes);
      channels = decoded.channelData;
      rate = decoded.sampleRate;
    } catch (e) {
      throw bad(`cannot decode the ${format.toUpperCase()} file: ${e instanceof Error ? e.message : e}`);
    }
  }
  const frames = channels[0]?.length ?? 0;
  if (frames === 0 || !rate) throw bad("the audio is empty (0 seconds)", "give a recording with sound in it");
  checkDuration(frames / rate, options);
  const samples = resample(mono(channels, frames), rate, target);
  return { samples, sampleRate: target, durationMs: (frames / rate) * 1000 };
}

/** Mono float samples -> 16-bit PCM WAV bytes. */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767)));
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, "16", pcm);
  return wav.toBuffer();
}

/** Mono float samples -> raw 16-bit little-endian PCM (OpenAI's `pcm` response format). */
export function encodePcm16(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) v.setInt16(2 * i, Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767))), true);
  return out;
}
