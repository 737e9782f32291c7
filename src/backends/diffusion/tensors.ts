// Moving float32 arrays in and out of a part whose inputs may be float16 (GPU exports), and its
// integer inputs (token ids, timesteps) in whichever width the export chose.
import type { InferenceSession, Tensor } from "onnxruntime-node";

type Ort = typeof import("onnxruntime-node");

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a float (round to nearest even). */
function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** The element type an input of the session expects ("float32", "float16", "int64"...). */
export function inputType(session: InferenceSession, name: string): string | undefined {
  const m = session.inputMetadata.find((i) => i.name === name);
  return m && m.isTensor ? m.type : undefined;
}

export function inputShape(session: InferenceSession, name: string): ReadonlyArray<number | string> | undefined {
  const m = session.inputMetadata.find((i) => i.name === name);
  return m && m.isTensor ? m.shape : undefined;
}

export function hasInput(session: InferenceSession, name: string): boolean {
  return session.inputNames.includes(name);
}

/** A float tensor in the input's precision. */
export function floatTensor(ort: Ort, session: InferenceSession, name: string, data: Float32Array, dims: number[]): Tensor {
  if (inputType(session, name) === "float16") return new ort.Tensor("float16", Uint16Array.from(data, toHalf), dims);
  return new ort.Tensor("float32", data, dims);
}

/** An integer tensor (token ids, timesteps) in the input's width; a float input gets floats. */
export function numberTensor(ort: Ort, session: InferenceSession, name: string, values: number[], dims: number[]): Tensor {
  const type = inputType(session, name) ?? "float32";
  if (type === "int64")
    return new ort.Tensor(
      "int64",
      BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))),
      dims,
    );
  if (type === "int32") return new ort.Tensor("int32", Int32Array.from(values, Math.trunc), dims);
  if (type === "float16") return new ort.Tensor("float16", Uint16Array.from(values, toHalf), dims);
  return new ort.Tensor("float32", Float32Array.from(values), dims);
}

/** A float output as float32, whatever its precision. */
export function floats(t: Tensor): Float32Array {
  if (t.type === "float32") return t.data as Float32Array;
  if (t.type === "float16") return Float32Array.from(t.data as Uint16Array, fromHalf);
  return Float32Array.from(t.data as ArrayLike<number>, Number);
}
