// The parts of sherpa-onnx-node's API this engine uses (the package ships JavaScript with JSDoc
// types only), loaded lazily so importing the engine's pure files never loads native code.
import { createRequire } from "node:module";

export interface GeneratedAudio {
  samples: Float32Array;
  sampleRate: number;
}

export interface OfflineTts {
  readonly numSpeakers: number;
  readonly sampleRate: number;
  generateAsync(request: {
    text: string;
    sid: number;
    speed: number;
    onProgress?: (info: { samples: Float32Array; progress: number }) => number | boolean | void;
  }): Promise<GeneratedAudio>;
}

export interface OfflineSpeakerDiarization {
  readonly handle: unknown;
  readonly sampleRate: number;
  setConfig(config: { clustering: { numClusters: number; threshold: number } }): void;
}

export interface DiarizationSegment {
  /** seconds */
  start: number;
  end: number;
  speaker: number;
}

export interface OfflineStream {
  acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
}

export interface OfflineRecognizer {
  createStream(): OfflineStream;
  decodeAsync(stream: OfflineStream): Promise<{ text: string; timestamps?: number[]; tokens?: string[] }>;
}

export interface SherpaModule {
  OfflineTts: { createAsync(config: unknown): Promise<OfflineTts> };
  OfflineRecognizer: { createAsync(config: unknown): Promise<OfflineRecognizer> };
  OfflineSpeakerDiarization: new (config: unknown) => OfflineSpeakerDiarization;
}

interface Addon {
  offlineSpeakerDiarizationProcessAsync(
    handle: unknown,
    samples: Float32Array,
    onProgress: (done: number, total: number) => number,
  ): Promise<DiarizationSegment[]>;
}

export async function loadSherpa(): Promise<{ sherpa: SherpaModule; addon: Addon }> {
  // CommonJS without type declarations: required here, typed by the interfaces above
  const require = createRequire(import.meta.url);
  const sherpa = require("sherpa-onnx-node") as SherpaModule;
  // the async diarization entry point is not wrapped by the package's class
  const addon = require("sherpa-onnx-node/addon.js") as Addon;
  return { sherpa, addon };
}
