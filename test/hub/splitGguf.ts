// Writes a split GGUF (`<prefix>-00001-of-0000N.gguf`, ...) from a single-file GGUF, following
// llama.cpp's gguf-split rules: every shard is a complete GGUF file holding some of the tensors; the
// first keeps all metadata; each carries split.no (u16), split.count (u16) and split.tensors.count
// (i32). Tensor data is copied byte for byte, offsets re-based per shard.
import { readFileSync, writeFileSync } from "node:fs";
import { gguf, GGUFValueType, type GGUFTypedMetadata } from "@huggingface/gguf";

const ALIGN = 32;
const pad = (n: number) => (ALIGN - (n % ALIGN)) % ALIGN;

class Sink {
  parts: Buffer[] = [];
  len = 0;
  push(b: Buffer) {
    this.parts.push(b);
    this.len += b.length;
  }
  num(type: GGUFValueType, v: number | bigint | boolean) {
    const b = Buffer.alloc([1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8][type]);
    switch (type) {
      case GGUFValueType.UINT8:
        b.writeUInt8(Number(v));
        break;
      case GGUFValueType.INT8:
        b.writeInt8(Number(v));
        break;
      case GGUFValueType.UINT16:
        b.writeUInt16LE(Number(v));
        break;
      case GGUFValueType.INT16:
        b.writeInt16LE(Number(v));
        break;
      case GGUFValueType.UINT32:
        b.writeUInt32LE(Number(v));
        break;
      case GGUFValueType.INT32:
        b.writeInt32LE(Number(v));
        break;
      case GGUFValueType.FLOAT32:
        b.writeFloatLE(Number(v));
        break;
      case GGUFValueType.BOOL:
        b.writeUInt8(v ? 1 : 0);
        break;
      case GGUFValueType.UINT64:
        b.writeBigUInt64LE(BigInt(v));
        break;
      case GGUFValueType.INT64:
        b.writeBigInt64LE(BigInt(v));
        break;
      case GGUFValueType.FLOAT64:
        b.writeDoubleLE(Number(v));
        break;
    }
    this.push(b);
  }
  u32(v: number) {
    this.num(GGUFValueType.UINT32, v);
  }
  u64(v: number | bigint) {
    this.num(GGUFValueType.UINT64, v);
  }
  str(s: string) {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.push(b);
  }
  value(type: GGUFValueType, v: unknown, sub?: GGUFValueType) {
    if (type === GGUFValueType.STRING) this.str(v as string);
    else if (type === GGUFValueType.ARRAY) {
      const arr = v as unknown[];
      this.u32(sub!);
      this.u64(arr.length);
      for (const x of arr) this.value(sub!, x);
    } else this.num(type, v as number);
  }
}

type Entry = { key: string; type: GGUFValueType; value: unknown; sub?: GGUFValueType };

export async function writeSplitGguf(source: string, outPrefix: string, count: number): Promise<string[]> {
  const parsed = await gguf(source, { allowLocalFile: true, typedMetadata: true });
  const bytes = readFileSync(source);
  const dataStart = Number(parsed.tensorDataOffset);
  const infos = parsed.tensorInfos;
  const meta: Entry[] = Object.entries(parsed.typedMetadata as GGUFTypedMetadata)
    .filter(([k]) => !["version", "tensor_count", "kv_count"].includes(k))
    .map(([key, v]) => {
      const t = v as { type: GGUFValueType; value: unknown; subType?: GGUFValueType };
      return { key, type: t.type, value: t.value, sub: t.subType };
    });
  // tensor i spans [offset_i, offset_{i+1}) in the data section (padding included)
  const spans = infos.map((t, i) => {
    const start = dataStart + Number(t.offset);
    const end = i + 1 < infos.length ? dataStart + Number(infos[i + 1].offset) : bytes.length;
    return bytes.subarray(start, end);
  });
  const per = Math.ceil(infos.length / count);
  const out: string[] = [];
  for (let s = 0; s < count; s++) {
    const idx = infos.map((_, i) => i).slice(s * per, (s + 1) * per);
    const kv: Entry[] = [
      ...(s === 0 ? meta : meta.filter((e) => e.key === "general.architecture")),
      { key: "split.no", type: GGUFValueType.UINT16, value: s },
      { key: "split.count", type: GGUFValueType.UINT16, value: count },
      { key: "split.tensors.count", type: GGUFValueType.INT32, value: infos.length },
    ];
    const h = new Sink();
    h.push(Buffer.from("GGUF", "ascii"));
    h.u32(3);
    h.u64(idx.length);
    h.u64(kv.length);
    for (const e of kv) {
      h.str(e.key);
      h.u32(e.type);
      h.value(e.type, e.value, e.sub);
    }
    let off = 0;
    for (const i of idx) {
      const t = infos[i];
      h.str(t.name);
      h.u32(t.n_dims);
      for (const d of t.shape) h.u64(d);
      h.u32(t.dtype);
      h.u64(off);
      off += spans[i].length;
    }
    h.push(Buffer.alloc(pad(h.len)));
    for (const i of idx) h.push(Buffer.from(spans[i]));
    const file = `${outPrefix}-${String(s + 1).padStart(5, "0")}-of-${String(count).padStart(5, "0")}.gguf`;
    writeFileSync(file, Buffer.concat(h.parts));
    out.push(file);
  }
  return out;
}
