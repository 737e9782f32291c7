// Image generation speed on the random-weight diffusion fixture (the real pipeline: CLIP tokenizer,
// text encoder, scheduler, UNet, VAE, PNG): seconds per denoising step, seconds per image and peak
// memory (RSS of the process running the engine), for each size and onnxruntime thread count.
//
//   npm run bench:image -- [--sizes 64x64,256x256,512x512] [--threads 1,2] [--steps 4] [--rounds 3] [--json]
//
// The fixture's UNet has 16 channels and three convolutions: the figures measure the pipeline's own
// overhead and how it scales with the latent size, not a real UNet's compute.
import { ImageGenerator } from "../src/sdk/ImageGenerator.ts";
import { physicalCores } from "../src/devices/cpuCores.ts";
import { ensureDiffusionFixture } from "../fixtures/diffusion.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const sizes = (arg("sizes") ?? "64x64,256x256,512x512").split(",").map((s) => s.split("x").map(Number) as [number, number]);
const threadsList = (arg("threads") ?? [...new Set([1, physicalCores()])].join(",")).split(",").map(Number);
const steps = Number(arg("steps") ?? 4);
const rounds = Number(arg("rounds") ?? 3);
const json = process.argv.includes("--json");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Array<Record<string, number | string>> = [];
for (const threads of threadsList) {
  const gen = await ImageGenerator.load(ensureDiffusionFixture("diffusion"), { threads, isolate: false });
  for (const [width, height] of sizes) {
    await gen.generate({ prompt: "warm-up", width, height, steps: 1, seed: 0 });
    const perStep: number[] = [];
    const total: number[] = [];
    let peak = 0;
    for (let r = 0; r < rounds; r++) {
      const out = await gen.generate({ prompt: "a red fox in the snow", width, height, steps, seed: r });
      perStep.push(out.profile.msPerStep / 1000);
      total.push(out.profile.totalMs / 1000);
      peak = Math.max(peak, out.profile.peakRssBytes);
    }
    rows.push({
      size: `${width}x${height}`,
      threads,
      steps,
      secPerStep: median(perStep),
      secPerImage: median(total),
      peakRssMiB: Math.round(peak / 2 ** 20),
    });
  }
  await gen.dispose();
}
if (json) console.log(JSON.stringify(rows));
else {
  console.log("| size | threads | steps | s/step (median) | s/image (median) | peak RSS |\n|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.size} | ${r.threads} | ${r.steps} | ${(r.secPerStep as number).toFixed(4)} | ${(r.secPerImage as number).toFixed(3)} | ${r.peakRssMiB} MiB |`,
    );
}
