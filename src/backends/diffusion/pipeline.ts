// A Stable Diffusion pipeline over ONNX Runtime sessions, composed as diffusers composes it:
// tokenizer -> text encoder(s) -> seeded latents -> (UNet -> guidance -> scheduler step) per step ->
// VAE decoder -> PNG. SD 1.x/2.x and Turbo use one text encoder; SDXL adds a second one, its pooled
// embedding and the size "time ids". Image-to-image encodes the input with the VAE encoder and starts
// the schedule part-way, by `strength`.
import type { InferenceSession, Tensor } from "onnxruntime-node";
import sharp from "sharp";
import type { ImageRequest, ImageResult } from "../../model/tasks/image.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { decodeRgb, resizeRgb } from "../../vision/rgbImage.ts";
import type { ClipTokenizer } from "./clipTokenizer.ts";
import { Gaussian, randomSeed } from "./gaussian.ts";
import type { Scheduler } from "./schedulers.ts";
import { floatTensor, floats, hasInput, inputShape, numberTensor } from "./tensors.ts";

type Ort = typeof import("onnxruntime-node");

export interface PipelineSessions {
  textEncoder: InferenceSession;
  /** SDXL */
  textEncoder2?: InferenceSession;
  unet: InferenceSession;
  vaeDecoder: InferenceSession;
  /** image-to-image */
  vaeEncoder?: InferenceSession;
}

export interface PipelineSettings {
  /** the VAE's latent scaling (vae config scaling_factor: 0.18215 for SD, 0.13025 for SDXL) */
  scalingFactor: number;
  /** pixels when the request names none */
  defaultWidth: number;
  defaultHeight: number;
  /** distilled for guidance 0 (Turbo, LCM, Lightning): no classifier-free guidance */
  distilled: boolean;
  /** SDXL: an empty negative prompt is zeros, not the encoding of "" */
  forceZerosForEmptyPrompt: boolean;
  latentChannels: number;
  /** largest width * height accepted */
  maxPixels: number;
}

export interface StepHooks {
  onStep?: (step: number, steps: number) => void;
  /** throws when the request was aborted; called between steps */
  check?: () => void;
}

const VAE_SCALE = 8;

interface Encoded {
  /** [1, 77, D] */
  hidden: Float32Array;
  dims: number[];
  /** SDXL's pooled text embedding [1, 1280] */
  pooled?: Float32Array;
}

function bad(message: string, hint: string): HearthError {
  return new HearthError("bad_input", message, { hint });
}

/** Elementwise a + g (b - a). */
function guide(uncond: Float32Array, cond: Float32Array, g: number): Float32Array {
  return cond.map((c, j) => uncond[j] + g * (c - uncond[j]));
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** LCM's guidance embedding (w - 1, sinusoidal, `dim` wide), for UNets with a timestep_cond input. */
function guidanceEmbedding(w: number, dim: number): Float32Array {
  const half = dim / 2;
  const k = Math.log(10000) / (half - 1);
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const v = w * 1000 * Math.exp(-k * i);
    out[i] = Math.sin(v);
    out[half + i] = Math.cos(v);
  }
  return out;
}

export class DiffusionPipeline {
  constructor(
    private ort: Ort,
    private s: PipelineSessions,
    private tokenizers: [ClipTokenizer, ClipTokenizer?],
    private scheduler: Scheduler,
    readonly settings: PipelineSettings,
  ) {}

  private get xl(): boolean {
    return Boolean(this.s.textEncoder2);
  }

  /** The request with every default filled in, or one clear bad_input error. */
  resolve(r: ImageRequest) {
    if (typeof r.prompt !== "string") throw bad("prompt must be text", 'give a prompt, e.g. "a red fox in the snow"');
    const width = r.width ?? this.settings.defaultWidth;
    const height = r.height ?? this.settings.defaultHeight;
    for (const [name, v] of [
      ["width", width],
      ["height", height],
    ] as const) {
      if (!Number.isInteger(v) || v < VAE_SCALE || v % VAE_SCALE !== 0) {
        throw bad(
          `${name} must be a positive multiple of 8, got ${v}`,
          `e.g. ${this.settings.defaultWidth}x${this.settings.defaultHeight}`,
        );
      }
    }
    if (width * height > this.settings.maxPixels) {
      throw bad(
        `${width}x${height} is more pixels than this server allows (${this.settings.maxPixels})`,
        `ask for ${this.settings.defaultWidth}x${this.settings.defaultHeight} or smaller`,
      );
    }
    const shape = inputShape(this.s.unet, "sample");
    const fixedH = typeof shape?.[2] === "number" ? shape[2] * VAE_SCALE : undefined;
    const fixedW = typeof shape?.[3] === "number" ? shape[3] * VAE_SCALE : undefined;
    if ((fixedW && fixedW !== width) || (fixedH && fixedH !== height)) {
      throw bad(
        `this model was exported for ${fixedW ?? width}x${fixedH ?? height} only, not ${width}x${height}`,
        `ask for ${fixedW ?? width}x${fixedH ?? height}`,
      );
    }
    const steps = r.steps ?? (this.settings.distilled ? 4 : 25);
    if (!Number.isInteger(steps) || steps < 1 || steps > this.scheduler.maxSteps) {
      throw bad(
        `steps must be a whole number from 1 to ${this.scheduler.maxSteps}, got ${steps}`,
        `this model's ${this.scheduler.kind} scheduler allows 1 to ${this.scheduler.maxSteps}`,
      );
    }
    const lcmGuidance = hasInput(this.s.unet, "timestep_cond");
    const guidance = r.guidance ?? (lcmGuidance ? 8.5 : this.settings.distilled ? 0 : 7.5);
    if (typeof guidance !== "number" || !Number.isFinite(guidance) || guidance < 0 || guidance > 50) {
      throw bad(`guidance must be a number from 0 to 50, got ${guidance}`, "7.5 is usual; 0 turns guidance off");
    }
    if (this.settings.distilled && !lcmGuidance && guidance > 1) {
      throw bad(
        `this model is distilled to run without guidance, so guidance ${guidance} would be ignored`,
        "leave guidance out (or 0) for Turbo/LCM models",
      );
    }
    const seed = r.seed ?? randomSeed();
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw bad(`seed must be a whole number from 0 to 4294967295, got ${seed}`, "e.g. 7");
    const strength = r.image ? (r.strength ?? 0.75) : 1;
    if (typeof strength !== "number" || !(strength >= 0 && strength <= 1))
      throw bad(`strength must be from 0 to 1, got ${strength}`, "0 keeps the input image, 1 replaces it");
    if (r.image && !this.s.vaeEncoder) {
      throw new HearthError("unsupported_task", "this model has no VAE encoder (vae_encoder/), so it cannot start from an image", {
        hint: "leave out the image, or use a model exported with its vae_encoder",
      });
    }
    return {
      prompt: r.prompt,
      negative: r.negativePrompt ?? "",
      width,
      height,
      steps,
      guidance,
      seed,
      strength,
      image: r.image,
      lcmGuidance,
    };
  }

  async generate(request: ImageRequest, hooks: StepHooks = {}): Promise<ImageResult> {
    const t0 = performance.now();
    const q = this.resolve(request);
    const check = hooks.check ?? (() => undefined);
    const parts: Record<string, number> = {};
    let peak = process.memoryUsage().rss;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await f();
      } finally {
        parts[name] = (parts[name] ?? 0) + performance.now() - t;
        sample();
      }
    };

    // image decoding first: a bad image is the caller's error, found before any compute
    const init = q.image ? await timed("decodeImage", () => this.imageTensor(q.image!, q.width, q.height)) : undefined;

    const cfg = q.guidance > 1 && !q.lcmGuidance;
    const { cond, uncond, truncated } = await timed("textEncoder", () => this.encodePrompts(q.prompt, q.negative, cfg));
    check();

    const noise = new Gaussian(q.seed);
    const [h, w] = [q.height / VAE_SCALE, q.width / VAE_SCALE];
    const dims = [1, this.settings.latentChannels, h, w];
    const size = dims.reduce((a, b) => a * b, 1);
    this.scheduler.setTimesteps(q.steps);
    let start = 0;
    let latents: Float32Array;
    if (init) {
      const encoded = await timed("vaeEncoder", () => this.encodeImage(init, dims));
      const run = Math.min(Math.floor(q.steps * q.strength), q.steps);
      start = q.steps - run;
      latents = run === 0 ? encoded : this.scheduler.addNoise(encoded, noise.fill(size), start);
    } else {
      const z = noise.fill(size);
      const k = this.scheduler.initNoiseSigma;
      latents = z.map((v) => v * k);
    }
    check();

    const timeIds = [q.height, q.width, 0, 0, q.height, q.width];
    const total = q.steps - start;
    const tDenoise = performance.now();
    for (let i = start; i < q.steps; i++) {
      const input = this.scheduler.scaleModelInput(latents, i);
      const t = this.scheduler.timesteps[i];
      let out: Float32Array;
      if (cfg && uncond) {
        const [u, c] = await this.unetPair(input, dims, t, uncond, cond, timeIds);
        out = guide(u, c, q.guidance);
      } else {
        out = await this.unet(input, dims, t, cond, timeIds, q.lcmGuidance ? q.guidance : undefined);
      }
      latents = this.scheduler.step(out, i, latents, noise);
      sample();
      hooks.onStep?.(i - start + 1, total);
      check();
    }
    parts.denoise = performance.now() - tDenoise;

    const pixels = await timed("vaeDecoder", () => this.decode(latents, dims));
    const png = await timed("png", () => this.png(pixels, q.width, q.height));
    const totalMs = performance.now() - t0;
    return {
      png,
      width: q.width,
      height: q.height,
      seed: q.seed,
      truncated,
      profile: {
        totalMs,
        steps: total,
        msPerStep: total > 0 ? parts.denoise / total : 0,
        partsMs: parts,
        peakRssBytes: peak,
      },
    };
  }

  // --- text ------------------------------------------------------------------------------------

  private async encodePrompts(prompt: string, negative: string, cfg: boolean) {
    const [tok1, tok2] = this.tokenizers;
    const a = tok1.encode(prompt);
    const truncated = a.truncated;
    const pos = await this.encodeWith(prompt, tok1, tok2);
    if (!cfg) return { cond: pos, uncond: undefined, truncated };
    if (this.xl && negative === "" && this.settings.forceZerosForEmptyPrompt) {
      const zeros: Encoded = {
        hidden: new Float32Array(pos.hidden.length),
        dims: pos.dims,
        pooled: pos.pooled && new Float32Array(pos.pooled.length),
      };
      return { cond: pos, uncond: zeros, truncated };
    }
    return { cond: pos, uncond: await this.encodeWith(negative, tok1, tok2), truncated };
  }

  private async encodeWith(text: string, tok1: ClipTokenizer, tok2?: ClipTokenizer): Promise<Encoded> {
    const one = await this.runEncoder(this.s.textEncoder, tok1.encode(text).ids);
    if (!this.s.textEncoder2) return one;
    const two = await this.runEncoder(this.s.textEncoder2, (tok2 ?? tok1).encode(text).ids);
    // SDXL: the two encoders' hidden states side by side; the pooled embedding is the second's
    const [, seq, d1] = one.dims;
    const d2 = two.dims[2];
    const hidden = new Float32Array(seq * (d1 + d2));
    for (let s = 0; s < seq; s++) {
      hidden.set(one.hidden.subarray(s * d1, (s + 1) * d1), s * (d1 + d2));
      hidden.set(two.hidden.subarray(s * d2, (s + 1) * d2), s * (d1 + d2) + d1);
    }
    return { hidden, dims: [1, seq, d1 + d2], pooled: two.pooled };
  }

  private async runEncoder(session: InferenceSession, ids: number[]): Promise<Encoded> {
    const name = session.inputNames[0];
    const out = await session.run({ [name]: numberTensor(this.ort, session, name, ids, [1, ids.length]) });
    // SDXL uses the penultimate layer's hidden states where the export lists them
    const layers = session.outputNames
      .filter((n) => /^hidden_states\.\d+$/.test(n))
      .sort((x, y) => Number(x.split(".")[1]) - Number(y.split(".")[1]));
    const hiddenName =
      this.xl && layers.length >= 2
        ? layers[layers.length - 2]
        : session.outputNames.includes("last_hidden_state")
          ? "last_hidden_state"
          : session.outputNames[0];
    const hidden = out[hiddenName];
    const pooledName = ["text_embeds", "pooler_output"].find((n) => session.outputNames.includes(n));
    return { hidden: floats(hidden), dims: [...hidden.dims], pooled: pooledName ? floats(out[pooledName]) : undefined };
  }

  // --- UNet ------------------------------------------------------------------------------------

  private timestepTensor(t: number): Tensor {
    const shape = inputShape(this.s.unet, "timestep") ?? [1];
    const dims = shape.map((d) => (typeof d === "number" ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    return numberTensor(this.ort, this.s.unet, "timestep", Array(n).fill(t), dims);
  }

  private feeds(sample: Float32Array, dims: number[], t: number, text: Encoded[], timeIds: number[], w?: number): Record<string, Tensor> {
    const u = this.s.unet;
    const batch = text.length;
    const hidden = text.length === 1 ? text[0].hidden : concat(text[0].hidden, text[1].hidden);
    const feeds: Record<string, Tensor> = {
      sample: floatTensor(this.ort, u, "sample", sample, [batch, ...dims.slice(1)]),
      timestep: this.timestepTensor(t),
      encoder_hidden_states: floatTensor(this.ort, u, "encoder_hidden_states", hidden, [batch, ...text[0].dims.slice(1)]),
    };
    if (hasInput(u, "text_embeds")) {
      const pooled = text.map((e) => e.pooled);
      if (pooled.some((p) => !p))
        throw new HearthError("unsupported_architecture", "the UNet wants pooled text embeddings that the text encoder does not give", {
          hint: "the model's parts do not match",
        });
      const width = pooled[0]!.length;
      feeds.text_embeds = floatTensor(this.ort, u, "text_embeds", pooled.length === 1 ? pooled[0]! : concat(pooled[0]!, pooled[1]!), [
        batch,
        width,
      ]);
    }
    if (hasInput(u, "time_ids")) {
      feeds.time_ids = floatTensor(this.ort, u, "time_ids", Float32Array.from(Array.from({ length: batch }, () => timeIds).flat()), [
        batch,
        timeIds.length,
      ]);
    }
    if (hasInput(u, "timestep_cond")) {
      const dim = inputShape(u, "timestep_cond")?.[1];
      const emb = guidanceEmbedding((w ?? 1) - 1, typeof dim === "number" ? dim : 256);
      feeds.timestep_cond = floatTensor(this.ort, u, "timestep_cond", emb, [1, emb.length]);
    }
    return feeds;
  }

  private async unet(sample: Float32Array, dims: number[], t: number, text: Encoded, timeIds: number[], w?: number): Promise<Float32Array> {
    const out = await this.s.unet.run(this.feeds(sample, dims, t, [text], timeIds, w));
    return floats(out[this.s.unet.outputNames[0]]);
  }

  /** The unconditional and conditional predictions: one batch of two where the export allows it. */
  private async unetPair(
    sample: Float32Array,
    dims: number[],
    t: number,
    uncond: Encoded,
    cond: Encoded,
    timeIds: number[],
  ): Promise<[Float32Array, Float32Array]> {
    const batch = inputShape(this.s.unet, "sample")?.[0];
    if (batch === 1) {
      return [await this.unet(sample, dims, t, uncond, timeIds), await this.unet(sample, dims, t, cond, timeIds)];
    }
    const out = floats(
      (await this.s.unet.run(this.feeds(concat(sample, sample), dims, t, [uncond, cond], timeIds)))[this.s.unet.outputNames[0]],
    );
    return [out.subarray(0, sample.length), out.subarray(sample.length)];
  }

  // --- VAE and pixels --------------------------------------------------------------------------

  private async imageTensor(bytes: Uint8Array, width: number, height: number): Promise<Float32Array> {
    const rgb = await resizeRgb(await decodeRgb(bytes), width, height);
    const plane = width * height;
    const out = new Float32Array(3 * plane);
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = rgb.data[p * 3 + c] / 127.5 - 1;
    return out;
  }

  private async encodeImage(image: Float32Array, latentDims: number[]): Promise<Float32Array> {
    const e = this.s.vaeEncoder!;
    const [, c, h, w] = latentDims;
    const name = e.inputNames[0];
    const out = floats(
      (await e.run({ [name]: floatTensor(this.ort, e, name, image, [1, 3, h * VAE_SCALE, w * VAE_SCALE]) }))[e.outputNames[0]],
    );
    // exports that give the distribution's parameters (mean, log-variance) rather than a sample: the mean
    const latents = out.length === 2 * c * h * w ? out.slice(0, c * h * w) : out;
    const k = this.settings.scalingFactor;
    return latents.map((v) => v * k);
  }

  private async decode(latents: Float32Array, dims: number[]): Promise<Float32Array> {
    const d = this.s.vaeDecoder;
    const k = 1 / this.settings.scalingFactor;
    const name = d.inputNames[0];
    const out = await d.run({
      [name]: floatTensor(
        this.ort,
        d,
        name,
        latents.map((v) => v * k),
        dims,
      ),
    });
    return floats(out[d.outputNames[0]]);
  }

  private async png(chw: Float32Array, width: number, height: number): Promise<Uint8Array> {
    const plane = width * height;
    if (chw.length < 3 * plane)
      throw new HearthError("unsupported_architecture", "the VAE decoder gave an image of the wrong size", {
        hint: "the model's parts do not match",
      });
    const rgb = Buffer.alloc(3 * plane);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(Math.min(1, Math.max(0, chw[c * plane + p] / 2 + 0.5)) * 255);
    }
    const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  }
}
