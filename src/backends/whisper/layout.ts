// How whisper.cpp's models lie on disk: its legacy ggml binary (ggml-*.bin, magic "ggml"), alone or
// as the one such file in a folder. Pure: reads four bytes, never loads native code.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";

const GGML_MAGIC = 0x67676d6c;

function hasGgmlMagic(file: string): boolean {
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32LE(0) === GGML_MAGIC;
  } catch (e) {
    throw new HearthError("model_not_found", `cannot read ${file}: ${(e as Error).message}`, { hint: "check the path" });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A .bin file that must be whisper.cpp's (no other engine here reads one): say what it is not. */
export function checkWhisperGgml(file: string): void {
  if (!hasGgmlMagic(file)) {
    throw new HearthError("unsupported_architecture", `${file} is not a whisper.cpp ggml model (its first bytes are not ggml's magic)`, {
      hint: "give a ggml-*.bin Whisper model (whisper.cpp format), e.g. from huggingface.co/ggerganov/whisper.cpp",
    });
  }
}

export async function recognizeWhisperGgml(target: string): Promise<ModelFiles | undefined> {
  let file = target;
  if (statSync(target).isDirectory()) {
    const found = readdirSync(target)
      .sort()
      .map((n) => path.join(target, n))
      .filter((f) => /\.bin$/i.test(f) && statSync(f).isFile() && hasGgmlMagic(f));
    if (found.length !== 1) return undefined;
    file = found[0];
  } else if (/\.bin$/i.test(target)) {
    checkWhisperGgml(target);
  } else {
    return undefined;
  }
  return { dir: path.dirname(file), primary: file, format: "ggml", type: "asr" };
}
