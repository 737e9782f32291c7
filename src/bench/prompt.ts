// Benchmark prompts: deterministic synthetic text of a chosen length, or a real prompt from a file.
// Token counts depend on the model's vocabulary, which only the engine knows, so a synthetic prompt
// is calibrated: run it, read how many tokens the engine counted, rescale the text, repeat.

const WORDS = (
  "the of and to in is that for it as was with be by on not he this are or his from at which but have an they you " +
  "were her she there been one all we their has would when if so no will more can time about out up some into only " +
  "model device memory thread batch token speed measure machine river stone light water garden window morning letter"
).split(" ");

/** A seeded pseudo-random generator (mulberry32): same seed, same prompt, on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `words` words of plain English-like text, the same for the same seed. */
export function syntheticPrompt(words: number, seed: number): string {
  const rnd = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < Math.max(1, words); i++) out.push(WORDS[Math.floor(rnd() * WORDS.length)]);
  return out.join(" ");
}

/** The word count that should give `target` tokens, from a measured (words, tokens) pair. */
export function rescaleWords(words: number, measuredTokens: number, target: number): number {
  if (measuredTokens <= 0) return words * 2;
  return Math.max(1, Math.round((words * target) / measuredTokens));
}
