// The diffusion engine's arithmetic, checked against numbers worked out by hand: CLIP tokenisation
// on the fixture's vocabulary, the schedulers' timesteps and sigmas, and the constant-weight
// pipeline whose every pixel follows from guidance, the last timestep and the VAE scaling factor.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import sharp from "sharp";
import { ClipTokenizer } from "../../../src/backends/diffusion/clipTokenizer.ts";
import { createScheduler } from "../../../src/backends/diffusion/schedulers.ts";
import { Gaussian } from "../../../src/backends/diffusion/gaussian.ts";
import { ImageGenerator } from "../../../src/sdk/ImageGenerator.ts";
import { CONST, clipVocab, ensureDiffusionFixture } from "../../../fixtures/diffusion.ts";

const { vocab } = clipVocab();
const BOS = vocab["<|startoftext|>"];
const EOS = vocab["<|endoftext|>"];

function tokenizer(): ClipTokenizer {
  const dir = ensureDiffusionFixture("diffusion-const");
  return new ClipTokenizer({ vocab: path.join(dir, "tokenizer/vocab.json"), merges: path.join(dir, "tokenizer/merges.txt") });
}

test("CLIP BPE: lower-cased words merge into their </w> tokens between BOS and EOS, padded to 77", () => {
  const t = tokenizer();
  const { ids, truncated } = t.encode("A  Red FOX");
  assert.equal(ids.length, 77);
  assert.deepEqual(ids.slice(0, 5), [BOS, vocab["a</w>"], vocab["red</w>"], vocab["fox</w>"], EOS]);
  assert.ok(
    ids.slice(5).every((i) => i === EOS),
    "padded with <|endoftext|>",
  );
  assert.equal(truncated, false);
  // a word the merges do not know falls back to its byte characters
  assert.deepEqual(t.tokens("zq"), [vocab.z, vocab["q</w>"]]);
});

test("a prompt past 77 tokens is cut, EOS kept last, and says so", () => {
  const { ids, truncated } = tokenizer().encode(Array(100).fill("fox").join(" "));
  assert.equal(truncated, true);
  assert.equal(ids.length, 77);
  assert.equal(ids[0], BOS);
  assert.equal(ids[76], EOS);
  assert.equal(ids[75], vocab["fox</w>"]);
});

/** SD's scaled_linear schedule by hand: alpha-bar at t, then sigma = sqrt((1 - a) / a). */
function sigmaAt(t: number): number {
  const b0 = Math.sqrt(0.00085);
  const b1 = Math.sqrt(0.012);
  let a = 1;
  for (let i = 0; i <= t; i++) a *= 1 - (b0 + ((b1 - b0) * i) / 999) ** 2;
  return Math.sqrt((1 - a) / a);
}

const SD = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: "scaled_linear" };

test("Euler (leading, offset 1): timesteps, initial noise sigma, and epsilon steps that add up to -sigma_max", () => {
  const { scheduler: s } = createScheduler({ _class_name: "EulerDiscreteScheduler", ...SD, timestep_spacing: "leading", steps_offset: 1 });
  s.setTimesteps(4);
  assert.deepEqual(s.timesteps, [751, 501, 251, 1]);
  assert.ok(Math.abs(s.initNoiseSigma - Math.sqrt(sigmaAt(751) ** 2 + 1)) < 1e-9);
  // a constant noise prediction of 1 moves x by (sigma_next - sigma) per step: from 0 to -sigma(751)
  let x: Float32Array = new Float32Array([0]);
  for (let i = 0; i < 4; i++) x = s.step(new Float32Array([1]), i, x, new Gaussian(1));
  assert.ok(Math.abs(x[0] + sigmaAt(751)) < 1e-4, `${x[0]} vs ${-sigmaAt(751)}`);
  // the UNet's input is scaled by 1 / sqrt(sigma^2 + 1)
  assert.ok(Math.abs(s.scaleModelInput(new Float32Array([1]), 0)[0] - 1 / Math.sqrt(sigmaAt(751) ** 2 + 1)) < 1e-6);
});

test("DDIM (trailing) and LCM timesteps; steps outside the scheduler's range are refused", () => {
  const ddim = createScheduler({ _class_name: "DDIMScheduler", ...SD, timestep_spacing: "trailing" }).scheduler;
  ddim.setTimesteps(4);
  assert.deepEqual(ddim.timesteps, [999, 749, 499, 249]);
  const lcm = createScheduler({ _class_name: "LCMScheduler", ...SD, original_inference_steps: 50 }).scheduler;
  lcm.setTimesteps(4);
  // k = 1000 / 50 = 20; origin 999, 979, ..., 19; indices floor(i * 50 / 4) = 0, 12, 25, 37
  assert.deepEqual(lcm.timesteps, [999, 759, 499, 259]);
  assert.throws(() => lcm.setTimesteps(51), /1 to 50/);
  assert.throws(() => ddim.setTimesteps(0), /1 to 1000/);
  // a scheduler hearth does not implement runs as Euler, and says which it replaced
  assert.equal(createScheduler({ _class_name: "PNDMScheduler", ...SD }).substitute, "PNDMScheduler");
});

test("seeded noise: the same seed gives the same numbers, another seed others, and they are standard normal", () => {
  const a = new Gaussian(7).fill(20000);
  assert.deepEqual(a, new Gaussian(7).fill(20000));
  assert.notDeepEqual(a, new Gaussian(8).fill(20000));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);
});

// --- the constant-weight pipeline --------------------------------------------------------------

let gen: ImageGenerator;
before(async () => {
  gen = await ImageGenerator.load(ensureDiffusionFixture("diffusion-const"), { threads: 1, isolate: false });
});
after(async () => {
  await gen?.dispose();
});

/** Every pixel, by hand: the UNet's last prediction (DDIM "sample" prediction, alpha 1 after the
 * last step), divided by the scaling factor, mapped from [-1, 1] to 0..255. */
function expectedPixel(o: { words: string[]; negative?: string[]; guidance: number; lastT: number }): number {
  const mean = (ws: string[]) => ws.reduce((s, w) => s + (CONST.wordValue[w] ?? 0), 0) / 77;
  const c = mean(o.words);
  const u = mean(o.negative ?? []);
  const text = o.guidance > 1 ? u + o.guidance * (c - u) : c;
  const latent = CONST.tCoef * o.lastT + CONST.eCoef * text;
  const x = latent / CONST.scalingFactor;
  return Math.round(Math.min(1, Math.max(0, x / 2 + 0.5)) * 255);
}

async function pixels(png: Uint8Array) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { values: new Set(data), info };
}

test("constant weights: guidance, the last timestep and the VAE scaling factor give the hand-worked pixel", async () => {
  const cases = [
    { prompt: "a red fox", steps: 4, guidance: 2, words: ["red", "fox"], lastT: 249, want: 204 },
    { prompt: "a red fox", steps: 4, guidance: 0, words: ["red", "fox"], lastT: 249, want: 178 },
    { prompt: "a red fox", steps: 2, guidance: 2, words: ["red", "fox"], lastT: 499, want: 229 },
    { prompt: "a red fox", negative: "fox", steps: 4, guidance: 3, words: ["red", "fox"], neg: ["fox"], lastT: 249, want: 195 },
    { prompt: "a cat", steps: 1, guidance: 1, words: ["cat"], lastT: 999, want: 255 },
  ];
  for (const k of cases) {
    const hand = expectedPixel({ words: k.words, negative: k.neg, guidance: k.guidance, lastT: k.lastT });
    assert.equal(hand, k.want, "the formula agrees with the numbers worked on paper");
    const r = await gen.generate({ prompt: k.prompt, negativePrompt: k.negative, steps: k.steps, guidance: k.guidance, seed: 3 });
    const { values, info } = await pixels(r.png);
    assert.deepEqual([info.width, info.height], [64, 64]);
    assert.deepEqual([...values], [k.want], `${JSON.stringify(k)}`);
  }
});

test("image-to-image with strength 0 returns the input (through the VAE encoder and decoder)", async () => {
  // 8x8 blocks of grey, the VAE fixture's resolution
  const w = 64;
  const h = 48;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) raw.fill(((x >> 3) * 29 + (y >> 3) * 17) % 256, (y * w + x) * 3, (y * w + x) * 3 + 3);
  const input = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
  const r = await gen.generate({ prompt: "a red fox", image: new Uint8Array(input), strength: 0, width: w, height: h, seed: 1 });
  const out = await sharp(r.png).raw().toBuffer();
  assert.equal(r.profile.steps, 0);
  let worst = 0;
  for (let i = 0; i < raw.length; i++) worst = Math.max(worst, Math.abs(out[i] - raw[i]));
  assert.ok(worst <= 1, `largest difference ${worst}`);
  // strength 1 runs the whole schedule and the text decides, not the input
  const full = await gen.generate({
    prompt: "a red fox",
    image: new Uint8Array(input),
    strength: 1,
    steps: 4,
    guidance: 2,
    width: w,
    height: h,
    seed: 1,
  });
  assert.deepEqual([...(await pixels(full.png)).values], [204]);
});

test("each scheduler's schedule, by hand: with 'sample' prediction the image is the UNet's prediction at the last timestep", async () => {
  const { cpSync, mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const os = await import("node:os");
  const cases = [
    // Euler, leading spacing with offset 1: 4 steps end at t = 1 (guidance is off: text mean 3/77)
    { config: { _class_name: "EulerDiscreteScheduler", timestep_spacing: "leading", steps_offset: 1 }, lastT: 1 },
    // Euler ancestral, trailing: 999, 749, 499, 249 (sigma_up is 0 on the last step: no noise left)
    { config: { _class_name: "EulerAncestralDiscreteScheduler", timestep_spacing: "trailing" }, lastT: 249 },
    // DDIM, leading: 750, 500, 250, 0
    { config: { _class_name: "DDIMScheduler", timestep_spacing: "leading", clip_sample: false }, lastT: 0 },
    // LCM (distilled: guidance off by default): 999, 759, 499, 259; c_skip at 2590 is ~4e-8
    { config: { _class_name: "LCMScheduler", original_inference_steps: 50 }, lastT: 259 },
  ];
  const root = mkdtempSync(path.join(os.tmpdir(), "hearth-sched-"));
  try {
    for (const [i, k] of cases.entries()) {
      const dir = path.join(root, `m${i}`);
      cpSync(ensureDiffusionFixture("diffusion-const"), dir, { recursive: true });
      writeFileSync(
        path.join(dir, "scheduler/scheduler_config.json"),
        JSON.stringify({
          num_train_timesteps: 1000,
          beta_start: 0.00085,
          beta_end: 0.012,
          beta_schedule: "scaled_linear",
          prediction_type: "sample",
          ...k.config,
        }),
      );
      const g = await ImageGenerator.load(dir, { threads: 1, isolate: false });
      try {
        const r = await g.generate({ prompt: "a red fox", steps: 4, guidance: 0, seed: 9 });
        const want = expectedPixel({ words: ["red", "fox"], guidance: 0, lastT: k.lastT });
        assert.deepEqual([...(await pixels(r.png)).values], [want], k.config._class_name);
      } finally {
        await g.dispose();
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
