// The sherpa-onnx engine (sherpa-onnx-node): speech synthesis, speaker diarization and speech
// recognition from ONNX models. Chosen for these tasks because one npm package with prebuilt binaries covers both (plus
// Kokoro, VITS/Piper and Matcha voices), and because its models are plain ONNX graphs whose
// inputs, outputs and metadata the project can write as random-weight fixtures.
import type { Backend, DeviceProbe, LoadedModel, LoadOptions } from "../types.ts";
import type { ModelFiles } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { physicalCores } from "../../devices/cpuCores.ts";
import { descriptor } from "./descriptor.ts";
import { loadSherpa } from "./sherpaApi.ts";
import { loadTts } from "./tts.ts";
import { loadDiarizer } from "./diarize.ts";
import { loadAsr } from "./asr.ts";

export default async function createBackend(): Promise<Backend> {
  const { sherpa, addon } = await loadSherpa();
  return {
    descriptor,
    async probe(): Promise<DeviceProbe[]> {
      return [
        { device: "cpu", api: "cpu", available: true },
        { device: "gpu", api: "cuda", available: false, reason: "the npm build of sherpa-onnx is CPU-only" },
      ];
    },
    async load(model: ModelFiles, options: LoadOptions): Promise<LoadedModel> {
      const t0 = performance.now();
      if (options.device !== "cpu") {
        throw new HearthError("backend_unavailable", `sherpa-onnx cannot run on ${options.device} here`, { hint: "use device cpu" });
      }
      const threads = options.threads ?? physicalCores();
      if (model.type === "tts") return loadTts(sherpa, model, threads, t0);
      if (model.type === "diarize") return loadDiarizer(sherpa, addon, model, threads, options.extra, t0);
      if (model.type === "asr") return loadAsr(sherpa, model, threads, t0);
      throw new HearthError("unsupported_task", `the sherpa engine does not run ${model.type} models`, {
        hint: "it runs tts, diarize and asr",
      });
    },
  };
}
