// What kind of model a reference names, so `infer` knows what to do with it: the one resolver says
// (the store knows what it pulled; a path's engine layout and header tell).
import type { ModelType } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { looksLikePath, resolveModel } from "../../resolve/resolveModel.ts";

export async function modelTypeOf(ref: string, o: { mmproj?: string } = {}): Promise<ModelType> {
  const files = await resolveModel(ref, { mmproj: o.mmproj });
  if (files.type === "vlm" && !files.mmproj && looksLikePath(ref)) {
    throw new HearthError("bad_input", `${ref} is a multimodal projector, not a model`, {
      hint: "give the language model and pass this file with --mmproj",
    });
  }
  return files.type;
}
