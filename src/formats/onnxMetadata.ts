// Reads an ONNX file's metadata_props (ModelProto field 14): exporters put labels there (YOLO's
// `names`, `imgsz`, `task`, `stride`). Only the top level is walked, skipping the graph by seeking,
// so a 100 MB model costs a few small reads.
import { closeSync, openSync, readSync } from "node:fs";
import { HearthError } from "../errors/HearthError.ts";
import { readFields, readVarint, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from "./protobuf.ts";

const METADATA_PROPS = 14;

export function readOnnxMetadata(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new HearthError("model_not_found", `cannot read ${file}: ${(e as Error).message}`, { hint: "check the path" });
  }
  try {
    const head = Buffer.alloc(24);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, head, 0, head.length, pos);
      if (n === 0) break;
      const view = head.subarray(0, n);
      const t = readVarint(view, 0);
      const field = Number(t.value >> 3n);
      const wire = Number(t.value & 7n);
      if (wire === WIRE_VARINT) {
        pos += readVarint(view, t.next).next;
      } else if (wire === WIRE_I64 || wire === WIRE_I32) {
        pos += t.next + (wire === WIRE_I64 ? 8 : 4);
      } else if (wire === WIRE_LEN) {
        const len = readVarint(view, t.next);
        const size = Number(len.value);
        if (field === METADATA_PROPS) {
          const body = Buffer.alloc(size);
          readSync(fd, body, 0, size, pos + len.next);
          let key = "";
          let value = "";
          for (const f of readFields(body)) {
            if (f.field === 1 && f.bytes) key = Buffer.from(f.bytes).toString("utf8");
            if (f.field === 2 && f.bytes) value = Buffer.from(f.bytes).toString("utf8");
          }
          if (key) out[key] = value;
        }
        pos += len.next + size;
      } else {
        throw new RangeError(`wire type ${wire}`);
      }
    }
  } catch (e) {
    if (e instanceof HearthError) throw e;
    throw new HearthError(
      "unsupported_architecture",
      `${file} is not a readable ONNX model (malformed protobuf: ${(e as Error).message})`,
      {
        hint: "give a complete .onnx file",
        cause: e,
      },
    );
  } finally {
    closeSync(fd);
  }
  return out;
}

/**
 * Class labels from metadata: Ultralytics writes `names` as a Python dict literal
 * ("{0: 'person', 1: 'bicycle'}"); JSON objects and arrays are accepted too.
 */
export function parseLabels(names: string | undefined): Map<number, string> {
  const labels = new Map<number, string>();
  if (!names) return labels;
  try {
    const j = JSON.parse(names) as unknown;
    if (Array.isArray(j)) for (const [i, v] of j.entries()) labels.set(i, String(v));
    else if (j && typeof j === "object") for (const [k, v] of Object.entries(j)) labels.set(Number(k), String(v));
    if (labels.size) return labels;
  } catch {
    // not JSON: the Python literal below
  }
  for (const m of names.matchAll(/(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g)) {
    labels.set(Number(m[1]), m[2] ?? m[3]);
  }
  return labels;
}
