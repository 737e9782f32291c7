// Real speech for tests, made at test time with espeak-ng (and sox for padding and FLAC).
import { execFileSync } from "node:child_process";
import path from "node:path";

export function say(text: string, out: string): string {
  execFileSync("espeak-ng", ["-w", out, text]);
  return out;
}

/** Pads with silence (seconds before, after) and resamples; returns the new file. */
export function sox(input: string, out: string, ...effects: string[]): string {
  execFileSync("sox", [input, out, ...effects]);
  return out;
}

export function soxDurationMs(file: string): number {
  return Number(execFileSync("soxi", ["-D", file], { encoding: "utf8" }).trim()) * 1000;
}

export function tmpName(dir: string, name: string) {
  return path.join(dir, name);
}
