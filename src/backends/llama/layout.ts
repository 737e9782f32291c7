// How the llama.cpp text engine's models lie on disk: a GGUF file, a split GGUF's first shard (the
// rest beside it), or a folder holding one GGUF model and no projector. The type comes from the
// header (pooling, classifier head, architecture) unless the caller says. Pure: no native code.
import { statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../../model/types.ts";
import type { RecognizeHint } from "../types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readGgufFacts } from "../../formats/ggufFacts.ts";
import { ggufFilesIn, ggufModelOf, isGgufFile, type GgufModel } from "../../formats/ggufFiles.ts";

export async function recognizeGguf(target: string, hint: RecognizeHint = {}): Promise<ModelFiles | undefined> {
  let model: GgufModel;
  if (statSync(target).isDirectory()) {
    const { models, projectors } = ggufFilesIn(target);
    if (models.length > 1) {
      throw new HearthError(
        "bad_input",
        `the folder ${target} holds ${models.length} models (${models.map((m) => path.basename(m.primary)).join(", ")})`,
        {
          hint: "give the model file itself",
        },
      );
    }
    // a model with its projector is the multimodal engine's layout
    if (models.length === 0 || projectors.length > 0) return undefined;
    model = models[0];
  } else {
    if (!isGgufFile(target)) return undefined;
    model = ggufModelOf(target);
  }
  const type = hint.type ?? (await readGgufFacts(model.primary)).typeGuess ?? "llm";
  return { dir: path.dirname(model.primary), ...model, format: "gguf", type };
}
