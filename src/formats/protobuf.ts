// The protobuf wire format, just enough for ONNX files: reading top-level fields (model metadata)
// and writing small graphs (the probe model, test fixtures). ONNX Runtime's node binding exposes
// neither the model's metadata_props nor a way to build a model, and a whole protobuf library with
// onnx.proto would be far more than these two loops.

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

// ---- writing ----

export function varint(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  if (v < 0n) v = (1n << 64n) + v; // negative int64 as two's complement, 10 bytes
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);

export function fieldVarint(field: number, n: number | bigint): Uint8Array {
  return concat([tag(field, WIRE_VARINT), varint(n)]);
}

export function fieldBytes(field: number, bytes: Uint8Array): Uint8Array {
  return concat([tag(field, WIRE_LEN), varint(bytes.length), bytes]);
}

export function fieldString(field: number, s: string): Uint8Array {
  return fieldBytes(field, new TextEncoder().encode(s));
}

export function fieldFloat(field: number, f: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, f, true);
  return concat([tag(field, WIRE_I32), b]);
}

/** A nested message: the field's parts concatenated and length-prefixed. */
export function fieldMessage(field: number, parts: Uint8Array[]): Uint8Array {
  return fieldBytes(field, concat(parts));
}

// ---- reading ----

export interface WireField {
  field: number;
  wire: number;
  /** varint / fixed values */
  value?: bigint;
  /** length-delimited payload */
  bytes?: Uint8Array;
}

export function readVarint(buf: Uint8Array, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    if (at >= buf.length) throw new RangeError("truncated varint");
    const b = buf[at++];
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return { value, next: at };
    shift += 7n;
    if (shift > 63n) throw new RangeError("varint too long");
  }
}

/** The fields of one message, in order. */
export function* readFields(buf: Uint8Array): Generator<WireField> {
  let at = 0;
  while (at < buf.length) {
    const t = readVarint(buf, at);
    at = t.next;
    const field = Number(t.value >> 3n);
    const wire = Number(t.value & 7n);
    if (wire === WIRE_VARINT) {
      const v = readVarint(buf, at);
      at = v.next;
      yield { field, wire, value: v.value };
    } else if (wire === WIRE_LEN) {
      const len = readVarint(buf, at);
      const end = len.next + Number(len.value);
      if (end > buf.length) throw new RangeError("truncated field");
      yield { field, wire, bytes: buf.subarray(len.next, end) };
      at = end;
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      const n = wire === WIRE_I64 ? 8 : 4;
      if (at + n > buf.length) throw new RangeError("truncated field");
      const dv = new DataView(buf.buffer, buf.byteOffset + at, n);
      yield { field, wire, value: wire === WIRE_I64 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true)) };
      at += n;
    } else {
      throw new RangeError(`unsupported wire type ${wire}`);
    }
  }
}
