// The noise schedulers Stable Diffusion exports ship with, configured from
// scheduler/scheduler_config.json as diffusers configures them: Euler, Euler ancestral, DDIM and
// LCM, behind one interface. A step is addressed by its index in the schedule (0 = noisiest), which
// also serves image-to-image (the run starts at a later index). The arithmetic follows diffusers'
// schedulers; alphas are accumulated in float64.
import { HearthError } from "../../errors/HearthError.ts";
import type { Gaussian } from "./gaussian.ts";

export interface SchedulerConfig {
  _class_name?: string;
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: string;
  trained_betas?: number[] | null;
  prediction_type?: string;
  timestep_spacing?: string;
  steps_offset?: number;
  use_karras_sigmas?: boolean;
  final_sigmas_type?: string;
  clip_sample?: boolean;
  clip_sample_range?: number;
  set_alpha_to_one?: boolean;
  original_inference_steps?: number;
  timestep_scaling?: number;
}

export type Prediction = "epsilon" | "v_prediction" | "sample";

export interface Scheduler {
  /** the diffusers class this behaves as */
  readonly kind: "euler" | "euler_ancestral" | "ddim" | "lcm";
  /** most steps this scheduler allows */
  readonly maxSteps: number;
  /** set by setTimesteps: the timestep passed to the UNet at each step */
  timesteps: number[];
  initNoiseSigma: number;
  setTimesteps(steps: number): void;
  /** the UNet's input at step i */
  scaleModelInput(sample: Float32Array, i: number): Float32Array;
  /** the sample after step i */
  step(modelOutput: Float32Array, i: number, sample: Float32Array, noise: Gaussian): Float32Array;
  /** image-to-image: the encoded image noised to the level step i starts from */
  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array;
}

function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

function betasOf(
  c: Required<Pick<SchedulerConfig, "num_train_timesteps" | "beta_start" | "beta_end" | "beta_schedule">> & SchedulerConfig,
): number[] {
  const n = c.num_train_timesteps;
  if (c.trained_betas?.length) return c.trained_betas;
  switch (c.beta_schedule) {
    case "linear":
      return linspace(c.beta_start, c.beta_end, n);
    case "scaled_linear":
      return linspace(Math.sqrt(c.beta_start), Math.sqrt(c.beta_end), n).map((b) => b * b);
    case "squaredcos_cap_v2": {
      const alphaBar = (t: number) => Math.cos((((t + 0.008) / 1.008) * Math.PI) / 2) ** 2;
      return Array.from({ length: n }, (_, i) => Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999));
    }
    default:
      throw new HearthError("unsupported_architecture", `the scheduler's beta_schedule "${c.beta_schedule}" is not supported`, {
        hint: "supported: linear, scaled_linear, squaredcos_cap_v2",
      });
  }
}

/** Cumulative products of (1 - beta), float64. */
function alphasCumprodOf(config: SchedulerConfig): number[] {
  const betas = betasOf({
    num_train_timesteps: 1000,
    beta_start: 0.0001,
    beta_end: 0.02,
    beta_schedule: "linear",
    ...stripNull(config),
  });
  const out: number[] = [];
  let p = 1;
  for (const b of betas) {
    p *= 1 - b;
    out.push(p);
  }
  return out;
}

function stripNull<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

function checkSteps(steps: number, max: number) {
  if (!Number.isInteger(steps) || steps < 1 || steps > max) {
    throw new HearthError("bad_input", `steps must be a whole number from 1 to ${max}, got ${steps}`, {
      hint: `this model's scheduler allows 1 to ${max} steps`,
    });
  }
}

/** Timesteps by diffusers' three spacings (Table 2 of "Common Diffusion Noise Schedules and Sample Steps are Flawed"). */
function spacedTimesteps(spacing: string, n: number, steps: number, offset: number, integer: boolean): number[] {
  if (spacing === "linspace") {
    const t = linspace(0, n - 1, steps).reverse();
    return integer ? t.map((v) => Math.round(v)) : t;
  }
  if (spacing === "leading") {
    const ratio = Math.floor(n / steps);
    return Array.from({ length: steps }, (_, i) => i * ratio + offset).reverse();
  }
  if (spacing === "trailing") {
    const ratio = n / steps;
    const out: number[] = [];
    for (let t = n; t > 0 && out.length < steps; t -= ratio) out.push(Math.round(t) - 1);
    return out;
  }
  throw new HearthError("unsupported_architecture", `the scheduler's timestep_spacing "${spacing}" is not supported`, {
    hint: "supported: linspace, leading, trailing",
  });
}

/** np.interp(x, [0..n-1], ys) */
function interp(x: number, ys: number[]): number {
  if (x <= 0) return ys[0];
  if (x >= ys.length - 1) return ys[ys.length - 1];
  const i = Math.floor(x);
  return ys[i] + (ys[i + 1] - ys[i]) * (x - i);
}

function predictionOf(c: SchedulerConfig): Prediction {
  const p = c.prediction_type ?? "epsilon";
  if (p === "epsilon" || p === "v_prediction" || p === "sample") return p;
  throw new HearthError("unsupported_architecture", `the scheduler's prediction_type "${p}" is not supported`, {
    hint: "supported: epsilon, v_prediction, sample",
  });
}

/** Euler (discrete) and Euler ancestral: sigma-space steps (Karras et al., k-diffusion). */
class EulerScheduler implements Scheduler {
  readonly maxSteps: number;
  timesteps: number[] = [];
  initNoiseSigma = 1;
  private sigmas: number[] = [];
  private readonly trainSigmas: number[];
  private readonly prediction: Prediction;

  constructor(
    readonly kind: "euler" | "euler_ancestral",
    private c: SchedulerConfig,
    alphasCumprod: number[],
  ) {
    this.trainSigmas = alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
    this.maxSteps = alphasCumprod.length;
    this.prediction = predictionOf(c);
  }

  setTimesteps(steps: number) {
    checkSteps(steps, this.maxSteps);
    const spacing = this.c.timestep_spacing ?? "linspace";
    let t = spacedTimesteps(spacing, this.maxSteps, steps, this.c.steps_offset ?? 0, false);
    let sigmas = t.map((x) => interp(x, this.trainSigmas));
    if (this.kind === "euler" && this.c.use_karras_sigmas) {
      const rho = 7;
      const lo = sigmas[sigmas.length - 1] ** (1 / rho);
      const hi = sigmas[0] ** (1 / rho);
      sigmas = linspace(0, 1, steps).map((r) => (hi + r * (lo - hi)) ** rho);
      t = sigmas.map((s) => this.sigmaToT(s));
    }
    const last = this.kind === "euler" && this.c.final_sigmas_type === "sigma_min" ? this.trainSigmas[0] : 0;
    this.sigmas = [...sigmas, last];
    this.timesteps = t;
    const max = Math.max(...sigmas);
    this.initNoiseSigma = spacing === "linspace" || spacing === "trailing" ? max : Math.sqrt(max * max + 1);
  }

  /** a sigma's (fractional) training timestep, interpolated in log-sigma */
  private sigmaToT(sigma: number): number {
    const logs = this.trainSigmas.map(Math.log);
    const ls = Math.log(Math.max(sigma, 1e-10));
    let low = 0;
    for (let i = 0; i < logs.length; i++) if (ls - logs[i] >= 0) low = i;
    low = Math.min(low, logs.length - 2);
    const w = Math.min(1, Math.max(0, (logs[low] - ls) / (logs[low] - logs[low + 1])));
    return (1 - w) * low + w * (low + 1);
  }

  scaleModelInput(sample: Float32Array, i: number): Float32Array {
    const k = 1 / Math.sqrt(this.sigmas[i] ** 2 + 1);
    return sample.map((v) => v * k);
  }

  step(out: Float32Array, i: number, x: Float32Array, noise: Gaussian): Float32Array {
    const sigma = this.sigmas[i];
    const next = this.sigmas[i + 1];
    const x0 = (j: number) => {
      if (this.prediction === "epsilon") return x[j] - sigma * out[j];
      if (this.prediction === "v_prediction") return out[j] * (-sigma / Math.sqrt(sigma * sigma + 1)) + x[j] / (sigma * sigma + 1);
      return out[j];
    };
    if (this.kind === "euler") {
      const dt = next - sigma;
      return x.map((v, j) => v + ((v - x0(j)) / sigma) * dt);
    }
    const up = Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma));
    const down = Math.sqrt(next * next - up * up);
    const dt = down - sigma;
    const z = noise.fill(x.length);
    return x.map((v, j) => v + ((v - x0(j)) / sigma) * dt + z[j] * up);
  }

  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array {
    const s = this.sigmas[i];
    return original.map((v, j) => v + noise[j] * s);
  }
}

/** DDIM (eta 0: deterministic) and LCM: steps in alpha space. */
class AlphaScheduler implements Scheduler {
  readonly maxSteps: number;
  timesteps: number[] = [];
  initNoiseSigma = 1;
  private steps = 0;
  private readonly prediction: Prediction;
  private readonly finalAlpha: number;

  constructor(
    readonly kind: "ddim" | "lcm",
    private c: SchedulerConfig,
    private ac: number[],
  ) {
    this.prediction = predictionOf(c);
    this.finalAlpha = (c.set_alpha_to_one ?? true) ? 1 : ac[0];
    this.maxSteps = kind === "lcm" ? Math.min(c.original_inference_steps ?? 50, ac.length) : ac.length;
  }

  setTimesteps(steps: number) {
    checkSteps(steps, this.maxSteps);
    this.steps = steps;
    const n = this.ac.length;
    if (this.kind === "ddim") {
      this.timesteps = spacedTimesteps(this.c.timestep_spacing ?? "leading", n, steps, this.c.steps_offset ?? 0, true);
      return;
    }
    const original = this.c.original_inference_steps ?? 50;
    const k = Math.floor(n / original);
    const origin = Array.from({ length: original }, (_, i) => (i + 1) * k - 1).reverse();
    this.timesteps = Array.from({ length: steps }, (_, i) => origin[Math.floor((i * origin.length) / steps)]);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  private alpha(t: number): number {
    return t >= 0 ? this.ac[t] : this.finalAlpha;
  }

  step(out: Float32Array, i: number, x: Float32Array, noise: Gaussian): Float32Array {
    const t = this.timesteps[i];
    const last = i === this.timesteps.length - 1;
    const prevT = this.kind === "ddim" ? t - Math.floor(this.ac.length / this.steps) : last ? t : this.timesteps[i + 1];
    const at = this.alpha(t);
    const ap = this.alpha(prevT);
    const bt = 1 - at;
    const clip = this.kind === "ddim" ? (this.c.clip_sample ?? true) : (this.c.clip_sample ?? false);
    const range = this.c.clip_sample_range ?? 1;
    const x0 = new Float32Array(x.length);
    const eps = new Float32Array(x.length);
    for (let j = 0; j < x.length; j++) {
      let p: number;
      let e: number;
      if (this.prediction === "epsilon") {
        e = out[j];
        p = (x[j] - Math.sqrt(bt) * e) / Math.sqrt(at);
      } else if (this.prediction === "sample") {
        p = out[j];
        e = (x[j] - Math.sqrt(at) * p) / Math.sqrt(bt);
      } else {
        p = Math.sqrt(at) * x[j] - Math.sqrt(bt) * out[j];
        e = Math.sqrt(at) * out[j] + Math.sqrt(bt) * x[j];
      }
      x0[j] = clip ? Math.min(range, Math.max(-range, p)) : p;
      eps[j] = e;
    }
    if (this.kind === "ddim") {
      // eta 0: no variance term
      return x0.map((p, j) => Math.sqrt(ap) * p + Math.sqrt(1 - ap) * eps[j]);
    }
    const scaled = t * (this.c.timestep_scaling ?? 10);
    const cSkip = 0.25 / (scaled * scaled + 0.25);
    const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    const denoised = x0.map((p, j) => cOut * p + cSkip * x[j]);
    if (last) return denoised;
    const z = noise.fill(x.length);
    return denoised.map((d, j) => Math.sqrt(ap) * d + Math.sqrt(1 - ap) * z[j]);
  }

  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array {
    const a = this.ac[this.timesteps[i]];
    return original.map((v, j) => Math.sqrt(a) * v + Math.sqrt(1 - a) * noise[j]);
  }
}

export interface SchedulerChoice {
  scheduler: Scheduler;
  /** set when the model's own scheduler is not one of these and Euler stands in */
  substitute?: string;
}

/** The scheduler a model's scheduler_config.json describes. */
export function createScheduler(config: SchedulerConfig): SchedulerChoice {
  const name = config._class_name ?? "EulerDiscreteScheduler";
  const ac = alphasCumprodOf(config);
  switch (name) {
    case "EulerDiscreteScheduler":
      return { scheduler: new EulerScheduler("euler", config, ac) };
    case "EulerAncestralDiscreteScheduler":
      return { scheduler: new EulerScheduler("euler_ancestral", config, ac) };
    case "DDIMScheduler":
      return { scheduler: new AlphaScheduler("ddim", config, ac) };
    case "LCMScheduler":
      return { scheduler: new AlphaScheduler("lcm", config, ac) };
    default:
      // PNDM, LMS, DPM-Solver...: diffusers lists Euler as compatible with all of them (same training noise schedule)
      return { scheduler: new EulerScheduler("euler", { ...config, use_karras_sigmas: false }, ac), substitute: name };
  }
}
