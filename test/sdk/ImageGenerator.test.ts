// ImageGenerator end to end on the random-weight fixture (the real pipeline through the runtime):
// PNGs of the requested size, seeds that reproduce, progress, abort between steps, and one clear
// error for each kind of bad input, after which the model still works.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { ImageGenerator } from "../../src/sdk/ImageGenerator.ts";
import { ensureDiffusionFixture } from "../../fixtures/diffusion.ts";

let gen: ImageGenerator;
const tmp = mkdtempSync(path.join(os.tmpdir(), "hearth-imagegen-"));
before(async () => {
  process.env.HEARTH_HOME = tmp;
  gen = await ImageGenerator.load(ensureDiffusionFixture("diffusion"), { threads: 1 });
});
after(async () => {
  await gen?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test("generates a PNG of the requested size, with a profile and a progress event per step", async () => {
  const steps: number[] = [];
  const r = await gen.generate({
    prompt: "a red fox in the snow",
    width: 64,
    height: 48,
    steps: 3,
    seed: 7,
    onProgress: (p) => steps.push(p.step),
  });
  const meta = await sharp(r.png).metadata();
  assert.equal(meta.format, "png");
  assert.deepEqual([meta.width, meta.height], [64, 48]);
  assert.deepEqual(steps, [1, 2, 3]);
  assert.equal(r.seed, 7);
  assert.equal(r.profile.steps, 3);
  assert.ok(r.profile.msPerStep > 0 && r.profile.peakRssBytes > 0 && r.profile.partsMs.vaeDecoder > 0);
  assert.equal(gen.info.backend, "diffusion");
});

test("the same seed gives the same bytes; another seed, other bytes", async () => {
  const a = await gen.generate({ prompt: "a cat", steps: 2, seed: 11 });
  const b = await gen.generate({ prompt: "a cat", steps: 2, seed: 11 });
  const c = await gen.generate({ prompt: "a cat", steps: 2, seed: 12 });
  assert.deepEqual(Buffer.from(a.png), Buffer.from(b.png));
  assert.notDeepEqual(Buffer.from(a.png), Buffer.from(c.png));
});

test("an abort between steps stops the run with code aborted, and the model keeps working", async () => {
  const ac = new AbortController();
  let seen = 0;
  await assert.rejects(
    gen.generate({
      prompt: "a fox",
      steps: 6,
      seed: 1,
      signal: ac.signal,
      onProgress: () => {
        seen++;
        ac.abort();
      },
    }),
    (e: { code?: string }) => e.code === "aborted",
  );
  assert.ok(seen >= 1 && seen < 6, `stopped after ${seen} of 6 steps`);
  const r = await gen.generate({ prompt: "a fox", steps: 1, seed: 1 });
  assert.ok(r.png.length > 0);
});

test("bad input: one clear error each, and the model stays usable", async () => {
  const cases: Array<[Parameters<ImageGenerator["generate"]>[0], RegExp, string]> = [
    [{ prompt: "x", width: 60 }, /multiple of 8/, "bad_input"],
    [{ prompt: "x", steps: 0 }, /steps must be a whole number from 1 to 1000/, "bad_input"],
    [{ prompt: "x", steps: 5000 }, /1 to 1000/, "bad_input"],
    [{ prompt: "x", guidance: -1 }, /guidance/, "bad_input"],
    [{ prompt: "x", image: new Uint8Array([1, 2, 3, 4]), strength: 0.5 }, /image/i, "unsupported_media"],
    [{ prompt: "x", image: new Uint8Array([137, 80, 78, 71]), strength: 2 }, /strength/, "bad_input"],
  ];
  for (const [options, message, code] of cases) {
    await assert.rejects(gen.generate({ steps: 1, ...options }), (e: { code?: string; message: string }) => {
      assert.equal(e.code, code, e.message);
      assert.match(e.message, message);
      return true;
    });
  }
  assert.ok((await gen.generate({ prompt: "still here", steps: 1, seed: 2 })).png.length > 0);
});

test("a model distilled for guidance 0 (Turbo) refuses guidance; a folder missing a part says which", async () => {
  const turbo = path.join(tmp, "tiny-sd-turbo");
  cpSync(ensureDiffusionFixture("diffusion"), turbo, { recursive: true });
  const t = await ImageGenerator.load(turbo, { threads: 1, isolate: false });
  try {
    await assert.rejects(t.generate({ prompt: "x", guidance: 5 }), /distilled to run without guidance/);
    const r = await t.generate({ prompt: "x", seed: 1 });
    assert.equal(r.profile.steps, 4, "distilled models default to 4 steps");
  } finally {
    await t.dispose();
  }
  const broken = path.join(tmp, "no-vae");
  cpSync(ensureDiffusionFixture("diffusion"), broken, { recursive: true });
  rmSync(path.join(broken, "vae_decoder"), { recursive: true });
  await assert.rejects(ImageGenerator.load(broken, { threads: 1, isolate: false }), (e: { code?: string; message: string }) => {
    assert.equal(e.code, "model_not_found");
    assert.match(e.message, /VAE decoder/);
    return true;
  });
});

test("the SDXL layout: two text encoders, pooled embeddings and time ids reach the UNet", async () => {
  const xl = await ImageGenerator.load(ensureDiffusionFixture("diffusion-xl"), { threads: 1, isolate: false });
  try {
    assert.equal((xl.info.settings.executionProviders as Record<string, string>).text_encoder_2, "cpu");
    assert.equal(xl.info.settings.scheduler, "euler_ancestral");
    const a = await xl.generate({ prompt: "a red fox", width: 64, height: 32, steps: 3, seed: 4 });
    const again = await xl.generate({ prompt: "a red fox", width: 64, height: 32, steps: 3, seed: 4 });
    const negative = await xl.generate({ prompt: "a red fox", negativePrompt: "a cat", width: 64, height: 32, steps: 3, seed: 4 });
    assert.deepEqual((await sharp(a.png).metadata()).height, 32);
    // Euler ancestral draws fresh noise every step: from the same seed, still the same bytes
    assert.deepEqual(Buffer.from(a.png), Buffer.from(again.png));
    assert.notDeepEqual(Buffer.from(a.png), Buffer.from(negative.png));
  } finally {
    await xl.dispose();
  }
});

test("a float16 export (as GPUs take) gives the float32 image within rounding", async () => {
  const half = await ImageGenerator.load(ensureDiffusionFixture("diffusion-fp16"), { threads: 1, isolate: false });
  try {
    const raw = async (png: Uint8Array) => new Uint8Array(await sharp(png).raw().toBuffer());
    const a = await raw((await gen.generate({ prompt: "a red fox", steps: 3, seed: 5 })).png);
    const b = await raw((await half.generate({ prompt: "a red fox", steps: 3, seed: 5 })).png);
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      worst = Math.max(worst, d);
      sum += d;
    }
    assert.ok(worst <= 8 && sum / a.length < 1, `worst ${worst}, mean ${sum / a.length}`);
  } finally {
    await half.dispose();
  }
});

test("a part can have its own execution providers; those that do not load here are skipped with the reason", async () => {
  const g = await ImageGenerator.load(ensureDiffusionFixture("diffusion"), {
    threads: 1,
    isolate: false,
    partProviders: { unet: ["qnn", "cpu"] },
  });
  try {
    const s = g.info.settings as {
      executionProviders: Record<string, string>;
      providersTried: Record<string, Array<{ provider: string; reason: string }>>;
    };
    assert.equal(s.executionProviders.unet, "cpu");
    assert.equal(s.providersTried.unet[0].provider, "qnn");
    assert.ok(s.providersTried.unet[0].reason.length > 0);
    assert.equal(s.providersTried.vae_decoder, undefined, "the other parts were not asked for qnn");
    assert.ok((await g.generate({ prompt: "x", steps: 1, seed: 1 })).png.length > 0);
  } finally {
    await g.dispose();
  }
});

test("a model that is not an image generator is refused at load, saying what to give", async () => {
  const { ensureFixture } = await import("../../fixtures/index.ts");
  await assert.rejects(ImageGenerator.load(await ensureFixture("tiny"), { isolate: false }), (e: { code?: string; message: string }) => {
    assert.equal(e.code, "unsupported_task");
    assert.match(e.message, /not an image-generation model/);
    return true;
  });
});
