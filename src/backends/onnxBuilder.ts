// Builds small ONNX models in memory (ModelProto bytes): the one-node model that probes execution
// providers, and random-weight test fixtures. Field numbers are those of onnx.proto (IR version 8).
import { concat, fieldBytes, fieldFloat, fieldMessage, fieldString, fieldVarint } from "../formats/protobuf.ts";

export const FLOAT = 1; // TensorProto.DataType.FLOAT
export const INT64 = 7;
export const INT32 = 6;

export interface TensorInit {
  name: string;
  dims: number[];
  /** FLOAT data */
  floats?: Float32Array;
  /** INT64 data */
  ints?: number[];
  /** FLOAT data kept in a file beside the model (ONNX external data), at this byte offset */
  external?: { location: string; offset: number; length: number };
}

export type AttrValue = number | number[] | string | { floats: number[] } | { int: number } | { float: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttrValue>;
}

export interface ValueSpec {
  name: string;
  /** a number is a fixed size, a string a symbolic one */
  shape: Array<number | string>;
  elemType?: number;
}

export interface ModelSpec {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: TensorInit[];
  metadata?: Record<string, string>;
  opset?: number;
  graphName?: string;
  producer?: string;
}

function tensor(t: TensorInit): Uint8Array {
  const parts = t.dims.map((d) => fieldVarint(1, d));
  if (t.ints) {
    parts.push(fieldVarint(2, INT64));
    const raw = new BigInt64Array(t.ints.map((i) => BigInt(i)));
    parts.push(fieldString(8, t.name), fieldBytes(9, new Uint8Array(raw.buffer)));
  } else if (t.external) {
    // TensorProto.external_data (13) entries, data_location (14) = EXTERNAL (1)
    const entry = (k: string, v: string) => fieldMessage(13, [fieldString(1, k), fieldString(2, v)]);
    parts.push(
      fieldVarint(2, FLOAT),
      fieldString(8, t.name),
      entry("location", t.external.location),
      entry("offset", String(t.external.offset)),
      entry("length", String(t.external.length)),
      fieldVarint(14, 1),
    );
  } else {
    const f = t.floats ?? new Float32Array(t.dims.reduce((a, b) => a * b, 1));
    parts.push(fieldVarint(2, FLOAT), fieldString(8, t.name), fieldBytes(9, new Uint8Array(f.buffer, f.byteOffset, f.byteLength)));
  }
  return concat(parts);
}

// AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8, type=20 (FLOAT=1, INT=2, STRING=3, FLOATS=6, INTS=7)
function attribute(name: string, v: AttrValue): Uint8Array {
  const parts = [fieldString(1, name)];
  if (typeof v === "number") parts.push(fieldVarint(3, v), fieldVarint(20, 2));
  else if (typeof v === "string") parts.push(fieldString(4, v), fieldVarint(20, 3));
  else if (Array.isArray(v)) parts.push(...v.map((i) => fieldVarint(8, i)), fieldVarint(20, 7));
  else if ("floats" in v) parts.push(...v.floats.map((f) => fieldFloat(7, f)), fieldVarint(20, 6));
  else if ("int" in v) parts.push(fieldVarint(3, v.int), fieldVarint(20, 2));
  else parts.push(fieldFloat(2, v.float), fieldVarint(20, 1));
  return concat(parts);
}

function node(n: NodeSpec, i: number): Uint8Array {
  return concat([
    ...n.inputs.map((s) => fieldString(1, s)),
    ...n.outputs.map((s) => fieldString(2, s)),
    fieldString(3, n.name ?? `${n.op}_${i}`),
    fieldString(4, n.op),
    ...Object.entries(n.attributes ?? {}).map(([k, v]) => fieldMessage(5, [attribute(k, v)])),
  ]);
}

// ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1: {elem_type=1, shape=2: {dim=1: {dim_value=1 | dim_param=2}}}}}
function valueInfo(v: ValueSpec): Uint8Array {
  const dims = v.shape.map((d) => fieldMessage(1, [typeof d === "number" ? fieldVarint(1, d) : fieldString(2, d)]));
  const tensorType = fieldMessage(1, [fieldVarint(1, v.elemType ?? FLOAT), fieldMessage(2, dims)]);
  return concat([fieldString(1, v.name), fieldMessage(2, [tensorType])]);
}

/** ModelProto bytes, loadable by ONNX Runtime. */
export function buildOnnxModel(spec: ModelSpec): Uint8Array {
  const graph = concat([
    ...spec.nodes.map((n, i) => fieldMessage(1, [node(n, i)])),
    fieldString(2, spec.graphName ?? "graph"),
    ...(spec.initializers ?? []).map((t) => fieldMessage(5, [tensor(t)])),
    ...spec.inputs.map((v) => fieldMessage(11, [valueInfo(v)])),
    ...spec.outputs.map((v) => fieldMessage(12, [valueInfo(v)])),
  ]);
  return concat([
    fieldVarint(1, 8), // ir_version
    fieldString(2, spec.producer ?? "hearth"),
    fieldBytes(7, graph),
    fieldMessage(8, [fieldString(1, ""), fieldVarint(2, spec.opset ?? 17)]), // opset_import: default domain
    ...Object.entries(spec.metadata ?? {}).map(([k, v]) => fieldMessage(14, [fieldString(1, k), fieldString(2, v)])),
  ]);
}
