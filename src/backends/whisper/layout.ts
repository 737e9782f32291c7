// How whisper.cpp's models lie on disk: its legacy ggml binary (ggml-*.bin, magic "ggml"), alone or
// as the one such file in a folder. Pure: reads four bytes, never loads native code.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";

const GGML_MAGIC = 0x67676d6c;

function isWhisperGgml(file: string): boolean {
  if (!/\.bin$/i.test(file)) return false;
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32LE(0) === GGML_MAGIC;
  } finally {
    closeSync(fd);
  }
}

export async function recognizeWhisperGgml(target: string): Promise<ModelFiles | undefined> {
  let file = target;
  if (statSync(target).isDirectory()) {
    const found = readdirSync(target).sort().map((n) => path.join(target, n)).filter((f) => statSync(f).isFile() && isWhisperGgml(f));
    if (found.length !== 1) return undefined;
    file = found[0];
  } else if (!/\.bin$/i.test(target)) {
    return undefined;
  } else if (!isWhisperGgml(target)) {
    // no other engine here reads a .bin: say what it is not
    throw new HearthError("unsupported_architecture", `${target} is not a whisper.cpp ggml model (its first bytes are not ggml's magic)`, {
      hint: "give a ggml-*.bin model from huggingface.co/ggerganov/whisper.cpp",
    });
  }
  return { dir: path.dirname(file), primary: file, format: "ggml", type: "asr" };
}
