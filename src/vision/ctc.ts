// Greedy CTC decoding of a recogniser's per-step class probabilities: the best class per step,
// repeats merged, blanks dropped; confidence is the mean probability of the kept steps.

export interface CtcText {
  text: string;
  confidence: number;
  /** the step at which each character of `text` was emitted */
  steps: number[];
}

/**
 * probs: [steps, classes] row-major; class 0 is the blank, class i is alphabet[i - 1].
 */
export function ctcGreedy(probs: Float32Array, steps: number, classes: number, alphabet: string[], offset = 0): CtcText {
  let text = "";
  const at: number[] = [];
  let sum = 0;
  let kept = 0;
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const row = offset + t * classes;
    let best = 0;
    let bestP = probs[row];
    for (let k = 1; k < classes; k++) {
      const p = probs[row + k];
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    if (best !== 0 && best !== prev) {
      const ch = alphabet[best - 1] ?? "";
      text += ch;
      for (let i = 0; i < ch.length; i++) at.push(t);
      sum += bestP;
      kept++;
    }
    prev = best;
  }
  return { text, confidence: kept ? sum / kept : 0, steps: at };
}

/** PaddleOCR dictionaries: one character per line; the recogniser's last class is the space. */
export function parseDictionary(content: string): string[] {
  const lines = content.replace(/\r/g, "").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return [...lines, " "];
}
