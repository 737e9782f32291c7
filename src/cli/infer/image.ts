// What `hearth infer` does with an image-generation model:
// `hearth infer sd-turbo -p "a red fox" -o fox.png --steps 4 --size 512x512 --seed 7`, with a
// progress bar on a terminal; an image argument makes it image-to-image (--strength).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import { HearthError } from "../../errors/HearthError.ts";
import { ImageGenerator, type ImageGeneratorLoadOptions } from "../../sdk/ImageGenerator.ts";
import { formatBytes, printJson } from "../output.ts";

export interface ImageInferOptions {
  prompt?: string;
  negativePrompt?: string;
  /** the PNG to write */
  output?: string;
  /** "512x512" */
  size?: string;
  steps?: number;
  guidance?: number;
  seed?: number;
  /** image-to-image input path */
  image?: string;
  strength?: number;
  json?: boolean;
  load: ImageGeneratorLoadOptions;
}

export function parseSize(size: string | undefined): { width?: number; height?: number } {
  if (size === undefined) return {};
  const m = /^(\d+)x(\d+)$/i.exec(size.trim());
  if (!m) throw new HearthError("bad_input", `--size must be WIDTHxHEIGHT, got "${size}"`, { hint: "e.g. --size 512x512" });
  return { width: Number(m[1]), height: Number(m[2]) };
}

export async function runImageInfer(ref: string, o: ImageInferOptions): Promise<void> {
  if (!o.prompt) throw new HearthError("bad_input", "no prompt for the image", { hint: 'give one with -p "a red fox in the snow"' });
  if (!o.output) throw new HearthError("bad_input", "no file to write the image to", { hint: "give one with -o out.png" });
  const size = parseSize(o.size);
  const generator = await ImageGenerator.load(ref, o.load);
  const tty = process.stderr.isTTY && !o.json;
  let bar: cliProgress.SingleBar | undefined;
  try {
    const r = await generator.generate({
      prompt: o.prompt,
      negativePrompt: o.negativePrompt,
      ...size,
      steps: o.steps,
      guidance: o.guidance,
      seed: o.seed,
      image: o.image,
      strength: o.strength,
      onProgress: ({ step, steps }) => {
        if (!tty) return;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: "{bar} step {value}/{total} | {eta_formatted} left", hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          );
          bar.start(steps, 0);
        }
        bar.update(step);
      },
    });
    bar?.stop();
    mkdirSync(path.dirname(path.resolve(o.output)), { recursive: true });
    writeFileSync(o.output, r.png);
    if (r.truncated) process.stderr.write("warning: the prompt is longer than the text encoder's 77 tokens; the rest was cut\n");
    const p = r.profile;
    if (o.json) {
      printJson({ output: o.output, width: r.width, height: r.height, seed: r.seed, truncated: r.truncated, profile: p });
      return;
    }
    process.stdout.write(`${o.output}\n`);
    process.stderr.write(
      `${r.width}x${r.height}, seed ${r.seed}, ${p.steps} steps, ${(p.msPerStep / 1000).toFixed(3)} s/step, ` +
        `${(p.totalMs / 1000).toFixed(2)} s total, peak ${formatBytes(p.peakRssBytes)} (${p.device ?? generator.info.backend})\n`,
    );
  } finally {
    bar?.stop();
    await generator.dispose();
  }
}
