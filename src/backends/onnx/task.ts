// Which task an ONNX model performs. Pure (no native code), so faces can decide what to call.
import { existsSync } from "node:fs";
import type { ModelFiles } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readOnnxMetadata } from "../../formats/onnxMetadata.ts";

/** ModelFiles.extra.task, else the ONNX metadata's `task` (Ultralytics writes it), else detection. */
export function onnxTaskOf(model: ModelFiles): "ocr" | "detect" {
  const t = model.extra?.task ?? (existsSync(model.primary) ? readOnnxMetadata(model.primary).task : undefined);
  if (t === "ocr") return "ocr";
  if (t === undefined || t === "detect") return "detect";
  throw new HearthError("unsupported_task", `the ONNX engine cannot run "${t}" models yet`, {
    hint: "it runs ocr and detect (YOLO v8/v11) models",
  });
}
