// How ONNX Runtime's models lie on disk: a .onnx graph (its external data beside it), alone or as the
// one graph in a folder. The graph's metadata does not say its task here, so the caller's type wins,
// else computer vision. Pure: no native code.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelFiles } from "../../model/types.ts";
import type { RecognizeHint } from "../types.ts";

export async function recognizeOnnx(target: string, hint: RecognizeHint = {}): Promise<ModelFiles | undefined> {
  let file = target;
  if (statSync(target).isDirectory()) {
    const graphs = readdirSync(target)
      .filter((n) => /\.onnx$/i.test(n))
      .sort();
    if (graphs.length !== 1) return undefined;
    file = path.join(target, graphs[0]);
  } else if (!/\.onnx$/i.test(target)) {
    return undefined;
  }
  const dir = path.dirname(file);
  // external data as exporters name it: model.onnx_data, model.onnx.data, model.data
  const base = path.basename(file);
  const data = [`${base}_data`, `${base}.data`, base.replace(/\.onnx$/i, ".data")]
    .map((n) => path.join(dir, n))
    .filter((f) => existsSync(f));
  const extra = data.length ? Object.fromEntries(data.map((f) => [path.basename(f), f])) : undefined;
  return { dir, primary: file, extra, format: "onnx", type: hint.type ?? "cv" };
}
