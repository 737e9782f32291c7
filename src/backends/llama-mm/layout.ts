// How the multimodal engine's models lie on disk: a folder holding one GGUF language model and its
// multimodal projector (mmproj*.gguf), as vision and audio model releases ship them. Pure.
import { statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../../model/types.ts";
import type { RecognizeHint } from "../types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { ggufFilesIn } from "../../formats/ggufFiles.ts";

export async function recognizeGgufWithProjector(target: string, hint: RecognizeHint = {}): Promise<ModelFiles | undefined> {
  if (!statSync(target).isDirectory()) return undefined;
  const { models, projectors } = ggufFilesIn(target);
  if (models.length !== 1 || projectors.length === 0) return undefined;
  if (projectors.length > 1) {
    throw new HearthError(
      "bad_input",
      `the folder ${target} holds ${projectors.length} projectors (${projectors.map((p) => path.basename(p)).join(", ")})`,
      {
        hint: "give the model file itself and the projector with --mmproj",
      },
    );
  }
  return { dir: target, ...models[0], mmproj: projectors[0], format: "gguf", type: hint.type ?? "vlm" };
}
