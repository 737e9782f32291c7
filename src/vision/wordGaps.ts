// Spaces the recogniser missed. PP-OCR's Chinese/English model often runs English words together
// ("npminstallhearth") although the strip shows a clear gap; a word space is about a quarter of
// an em wide, letter spacing far less. So between two consecutive characters, an ink-free run of
// columns well wider than both the line's usual letter gap and a fraction of its ink height
// becomes a space.
import type { RgbImage } from "./rgbImage.ts";

/** Minimum gap, as a fraction of the text's ink height, that separates words. */
const WORD_GAP = 0.3;
/** ... and as a multiple of the line's median gap between letters (monospaced fonts space letters widely). */
const LETTER_FACTOR = 2.5;
/** ... times this when either side is punctuation */
const PUNCTUATION_FACTOR = 1.2;

/**
 * text/steps from CTC decoding of `strip` (the image as the recogniser saw it, left-aligned,
 * `stepWidth` pixels per output step).
 */
export function restoreSpaces(text: string, steps: number[], strip: RgbImage, stepWidth: number): string {
  const chars = [...text];
  if (chars.length < 2 || steps.length !== chars.length) return text;
  const { width: w, height: h, data } = strip;
  const gray = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) gray[i] = (data[i * 3] + data[i * 3 + 1] + data[i * 3 + 2]) / 3;
  const sorted = Uint8Array.from(gray).sort();
  const lo = sorted[Math.floor(sorted.length * 0.02)];
  const hi = sorted[Math.floor(sorted.length * 0.98)];
  const background = sorted[Math.floor(sorted.length / 2)];
  if (hi - lo < 40) return text; // no contrast to judge by
  const cut = (hi - lo) / 2;
  const ink = (i: number) => Math.abs(gray[i] - background) > cut;
  let top = h;
  let bottom = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (ink(y * w + x)) {
        if (y < top) top = y;
        bottom = y;
        break;
      }
    }
  }
  if (bottom < top) return text;
  const emptyColumn = new Uint8Array(w);
  for (let x = 0; x < w; x++) {
    let empty = 1;
    for (let y = top; y <= bottom && empty; y++) if (ink(y * w + x)) empty = 0;
    emptyColumn[x] = empty;
  }
  // the widest ink-free run between each pair of consecutive characters
  const gaps = chars.map((c, i) => {
    if (i === 0 || c === " " || chars[i - 1] === " ") return -1;
    const x0 = Math.max(0, Math.floor((steps[i - 1] + 0.5) * stepWidth));
    const x1 = Math.min(w, Math.ceil((steps[i] + 0.5) * stepWidth));
    let run = 0;
    let longest = 0;
    for (let x = x0; x < x1; x++) {
      run = emptyColumn[x] ? run + 1 : 0;
      if (run > longest) longest = run;
    }
    return longest;
  });
  const letterGaps = gaps.filter((g) => g >= 0).sort((a, b) => a - b);
  if (!letterGaps.length) return text;
  // most pairs are letters within a word: a word gap is well above their typical spacing
  const median = letterGaps[Math.floor(letterGaps.length / 2)];
  const minGap = Math.max(WORD_GAP * (bottom - top + 1), LETTER_FACTOR * median, 2);
  // CJK text has no spaces between words: only gaps between two non-CJK characters count
  const spaced = (c: string) => c.charCodeAt(0) < 0x2e80;
  // punctuation sits inside a wide cell in monospaced fonts ("main()"): it needs a wider gap
  const alnum = (c: string) => /[\p{L}\p{N}]/u.test(c);
  let out = chars[0];
  for (let i = 1; i < chars.length; i++) {
    const a = chars[i - 1];
    const b = chars[i];
    const need = alnum(a) && alnum(b) ? minGap : PUNCTUATION_FACTOR * minGap;
    if (gaps[i] >= need && spaced(a) && spaced(b)) out += " ";
    out += chars[i];
  }
  return out;
}

/**
 * Full-width punctuation and letters (，：（）) to their ASCII forms in lines that are mostly
 * Latin: the dictionary holds both and the model picks the full-width ones in English text.
 */
export function latinPunctuation(text: string): string {
  const chars = [...text].filter((c) => c.trim());
  const latin = chars.filter((c) => c.charCodeAt(0) < 0x80).length;
  if (!chars.length || latin / chars.length < 0.6) return text;
  return text.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, " ");
}
