// ONNX Runtime execution providers: which ones this build of onnxruntime-node offers, which really
// initialise on this machine (probed by creating a session on a one-node model, never assumed), and
// the order to try them in for a requested device.
import { existsSync } from "node:fs";
import path from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import type { DeviceKind } from "../model/types.ts";
import type { DeviceProbe } from "./types.ts";
import { buildOnnxModel } from "./onnxBuilder.ts";
import { readEnv } from "../config/env.ts";

type Ort = typeof import("onnxruntime-node");

/** Provider names as onnxruntime-node spells them, by the device they drive. */
export const PROVIDERS_BY_DEVICE: Record<DeviceKind, string[]> = {
  // Qualcomm Hexagon, Apple Neural Engine, Intel NPU, AMD NPU
  npu: ["qnn", "coreml", "openvino", "vitisai"],
  gpu: ["cuda", "tensorrt", "dml", "webgpu"],
  cpu: ["cpu"],
};

export function deviceOfProvider(ep: string): DeviceKind {
  for (const [device, eps] of Object.entries(PROVIDERS_BY_DEVICE)) if (eps.includes(ep)) return device as DeviceKind;
  return "cpu";
}

/**
 * Providers to try, in order: an explicit list (LoadOptions.extra.executionProviders) wins;
 * otherwise npu tries the NPU providers, then GPU, then CPU; gpu tries GPU then CPU; cpu is CPU.
 */
export function providerOrder(device: DeviceKind, explicit?: unknown): string[] {
  if (Array.isArray(explicit) && explicit.length) return explicit.map((e) => String(e).toLowerCase());
  if (device === "npu") return [...PROVIDERS_BY_DEVICE.npu, ...PROVIDERS_BY_DEVICE.gpu, "cpu"];
  if (device === "gpu") return [...PROVIDERS_BY_DEVICE.gpu, "cpu"];
  return ["cpu"];
}

/** Providers compiled into this onnxruntime-node build (CPU always). */
export function offeredProviders(ort: Ort): string[] {
  const names = ort.listSupportedBackends().map((b) => b.name);
  return ["cpu", ...names.filter((n) => n !== "cpu")];
}

let probeModel: Uint8Array | undefined;

/** y = Relu(x) on one float: enough to make a provider initialise. */
function tinyModel(): Uint8Array {
  probeModel ??= buildOnnxModel({
    nodes: [{ op: "Relu", inputs: ["x"], outputs: ["y"] }],
    inputs: [{ name: "x", shape: [1] }],
    outputs: [{ name: "y", shape: [1] }],
    graphName: "probe",
  });
  return probeModel;
}

const QUIET = 4; // ORT_LOGGING_LEVEL_FATAL: a provider that fails to load is an expected answer here

export interface SessionChoice {
  session: InferenceSession;
  provider: string;
  /** providers tried before, with why they failed */
  skipped: Array<{ provider: string; reason: string }>;
}

function shortReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m
    .split("\n")[0]
    .replace(/^.*?\] : \d+ : \w+ : /, "")
    .slice(0, 200);
}

/** Creates a session with the first provider in `order` that initialises. */
export async function createSession(
  ort: Ort,
  model: string | Uint8Array,
  order: string[],
  options: InferenceSession.SessionOptions = {},
): Promise<SessionChoice> {
  const offered = new Set(offeredProviders(ort));
  const skipped: SessionChoice["skipped"] = [];
  let lastError: unknown;
  for (const provider of order) {
    if (!offered.has(provider)) {
      skipped.push({ provider, reason: "not in this onnxruntime-node build" });
      continue;
    }
    const missing = missingPrerequisite(provider);
    if (missing) {
      skipped.push({ provider, reason: missing });
      continue;
    }
    try {
      const opts = {
        ...options,
        executionProviders: [provider],
        logSeverityLevel: options.logSeverityLevel ?? 3,
      } as InferenceSession.SessionOptions;
      const session =
        typeof model === "string" ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
      return { session, provider, skipped };
    } catch (e) {
      lastError = e;
      skipped.push({ provider, reason: shortReason(e) });
    }
  }
  const why = skipped.map((s) => `${s.provider}: ${s.reason}`).join("; ");
  const err = new Error(`no execution provider could run the model (${why})`);
  (err as Error & { cause?: unknown }).cause = lastError;
  throw err;
}

/**
 * A library the provider cannot start without, missing here: asked before creating a session,
 * because Dawn (WebGPU) prints its Vulkan loader failure straight to stderr on every process.
 */
function missingPrerequisite(ep: string): string | undefined {
  if (ep !== "webgpu" || process.platform !== "linux") return undefined;
  const dirs = [
    ...readEnv().libraryPath,
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/lib/x86_64-linux-gnu",
    "/lib64",
  ];
  return dirs.some((d) => existsSync(path.join(d, "libvulkan.so.1"))) ? undefined : "no Vulkan loader (libvulkan.so.1) on this machine";
}

let probed: Promise<DeviceProbe[]> | undefined;

/** Every provider of interest, with whether it initialises here. Cached for the process. */
export function probeProviders(ort: Ort): Promise<DeviceProbe[]> {
  probed ??= (async () => {
    const offered = new Set(offeredProviders(ort));
    ort.env.logLevel = "fatal";
    const out: DeviceProbe[] = [];
    for (const device of ["npu", "gpu", "cpu"] as DeviceKind[]) {
      for (const ep of PROVIDERS_BY_DEVICE[device]) {
        if (!offered.has(ep)) {
          out.push({ device, api: ep, available: false, reason: "not in this onnxruntime-node build" });
          continue;
        }
        const missing = missingPrerequisite(ep);
        if (missing) {
          out.push({ device, api: ep, available: false, reason: missing });
          continue;
        }
        try {
          const s = await ort.InferenceSession.create(tinyModel(), { executionProviders: [ep], logSeverityLevel: QUIET });
          await s.release();
          out.push({ device, api: ep, available: true });
        } catch (e) {
          out.push({ device, api: ep, available: false, reason: shortReason(e) });
        }
      }
    }
    return out;
  })();
  return probed;
}
