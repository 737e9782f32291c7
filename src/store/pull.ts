// `hearth pull` and pull-on-demand: fetch a model from the hub into the store. The steps, in order:
// resolve the repo at a commit, choose the quant, read the remote GGUF header (facts, and a refusal
// when it cannot fit in memory), take the model's lock, check disk space, download what is missing
// into HEARTH_HOME/partial (resumable, several files at once, verified), move the files into place,
// then write the manifest. Until that last step the model is not listed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelFormat, ModelType } from "../model/types.ts";
import { homePaths, readEnv } from "../config/env.ts";
import { readGgufFacts, type ModelFacts } from "../formats/ggufFacts.ts";
import { authHeaders, fileUrl, hubAccess, repoSnapshot, type HubAccess, type RemoteFile, type RepoSnapshot } from "../hub/client.ts";
import { downloadVerified } from "../hub/download.ts";
import { abortError } from "../hub/retry.ts";
import { expandAlias } from "./aliases.ts";
import { ensureDiskSpace } from "./diskSpace.ts";
import { classifyRepo, roleOf, type RemoteQuant, type RepoLayout } from "./layout.ts";
import { isMlxRepo, noEngineError } from "./foreignFormats.ts";
import { withModelLock } from "./lock.ts";
import { modelDir, readManifest, writeManifest, type Manifest, type ManifestFile } from "./manifest.ts";
import { parseModelRef, safeRepoPath } from "./names.ts";
import { checkFitsMemory, chooseQuant, estimateQuantMemory } from "./quantChoice.ts";

/** What a pull reports as it goes, in order: resolved, start, progress and file events (waiting and retry when they happen). */
export type PullEvent =
  | { type: "resolved"; repo: string; commit: string; quant: string; files: number; totalBytes: number }
  | { type: "waiting"; message: string }
  | { type: "start"; totalBytes: number; resumedBytes: number; files: number }
  | { type: "progress"; doneBytes: number; totalBytes: number; file?: string }
  | { type: "file"; path: string; size: number; fetched: number; resumedFrom: number }
  | { type: "retry"; message: string };

/** Options of `pullModel()`. */
export interface PullOptions {
  /** HEARTH_HOME; default from the environment */
  home?: string;
  /** refuse nothing: not for memory, not for a format no engine here reads */
  force?: boolean;
  /** the formats the engines here read (the resolver fills it in from the registry): a repo in another
   * format (MLX, .nexa, a safetensors checkpoint) is refused before any weights are downloaded */
  formats?: ModelFormat[];
  /** wait for another process pulling the same model (default) or fail as busy */
  wait?: boolean;
  signal?: AbortSignal;
  /** what the pull reports as it goes */
  onEvent?: (e: PullEvent) => void;
  /** files downloaded at once; default 4 */
  concurrency?: number;
}

/** What a pull did. */
export interface PullResult {
  repo: string;
  quant: string;
  commit: string;
  manifest: Manifest;
  /** bytes that came over the network */
  fetchedBytes: number;
  /** bytes reused from partial files of an earlier, interrupted pull */
  resumedBytes: number;
  /** the model was already complete in the store */
  upToDate: boolean;
}

/** A quant a repo offers, as `listRemoteQuants()` lists it. */
export interface RemoteQuantInfo {
  name: string;
  size: number;
  files: string[];
  /** estimated memory at a 4096-token context (weights + KV cache; a size-based guess without a header) */
  memoryBytes: number;
  /** the one `pull` takes without a quant */
  default: boolean;
  downloaded: boolean;
}

interface Plan {
  repo: string;
  snapshot: RepoSnapshot;
  layout: RepoLayout;
  quant: RemoteQuant;
  /** every file this pull needs, weights first */
  files: RemoteFile[];
}

/** The repo's layout, with MLX told apart from other safetensors repos by its config and header. */
async function classifyRemote(access: HubAccess, snapshot: RepoSnapshot): Promise<RepoLayout> {
  const layout = classifyRepo(snapshot.files);
  if (layout.format === "safetensors" && (await isMlxRepo(access, snapshot.repo, snapshot.commit, snapshot.files)))
    return { ...layout, format: "mlx" };
  return layout;
}

async function plan(ref: string, access: HubAccess): Promise<Plan & { requested?: string }> {
  const parsed = parseModelRef(expandAlias(ref));
  const snapshot = await repoSnapshot(access, parsed.repo);
  for (const f of snapshot.files) safeRepoPath(f.path);
  const layout = await classifyRemote(access, snapshot);
  const quant = chooseQuant(layout.quants, parsed.quant, parsed.repo);
  const files = [...quant.files, ...layout.mmproj.slice(0, 1), ...layout.shared];
  return { repo: parsed.repo, snapshot, layout, quant, files, requested: parsed.quant };
}

/** The quants a repo offers, with sizes and which one `pull` would take. */
export async function listRemoteQuants(
  ref: string,
  o: Pick<PullOptions, "home" | "signal" | "onEvent"> = {},
): Promise<{ repo: string; commit: string; format: ModelFormat; quants: RemoteQuantInfo[] }> {
  const access = hubAccess({
    signal: o.signal,
    onRetry: (r) => o.onEvent?.({ type: "retry", message: `${r.reason}, retrying in ${(r.delayMs / 1000).toFixed(1)} s` }),
  });
  const parsed = parseModelRef(expandAlias(ref));
  const snapshot = await repoSnapshot(access, parsed.repo);
  const layout = await classifyRemote(access, snapshot);
  const chosen = chooseQuant(layout.quants, undefined, parsed.repo);
  const installed = readManifest(o.home ?? readEnv().home, parsed.repo);
  return {
    repo: parsed.repo,
    commit: snapshot.commit,
    format: layout.format,
    quants: layout.quants.map((q) => ({
      name: q.name,
      size: q.size,
      files: q.files.map((f) => f.path),
      memoryBytes: estimateQuantMemory(q),
      default: q === chosen,
      downloaded: installed?.quants.some((x) => x.name === q.name && x.downloaded) ?? false,
    })),
  };
}

/** Where a file collects its bytes until verified: keyed by content hash, so a resume never mixes versions. */
function partialPaths(home: string, repo: string, commit: string, f: RemoteFile) {
  const key = f.sha256 ?? createHash("sha256").update(`${repo}@${commit}/${f.path}`).digest("hex");
  const dir = path.join(homePaths(home).partial, ...repo.split("/"));
  return { partial: path.join(dir, `${key}.part`), verified: path.join(dir, `${key}.verified`) };
}

/** A file already in place and matching the hub's hash (as recorded when it was verified). */
function alreadyInStore(m: Manifest | undefined, dir: string, f: RemoteFile): boolean {
  if (!m) return false;
  const rec = m.files.find((x) => x.path === f.path);
  if (!rec?.downloaded || rec.size !== f.size) return false;
  if ((f.sha256 && rec.sha256 !== f.sha256) || (f.gitOid && rec.gitOid !== f.gitOid)) return false;
  const file = path.join(dir, f.path);
  return existsSync(file) && statSync(file).size === f.size;
}

/** Downloads a model into the store (as `hearth pull` does): resumable, verified, several files at once; see also `store.pull`. */
export async function pullModel(ref: string, o: PullOptions = {}): Promise<PullResult> {
  const home = o.home ?? readEnv().home;
  const emit = (e: PullEvent) => o.onEvent?.(e);
  const access = hubAccess({
    signal: o.signal,
    onRetry: (r) => emit({ type: "retry", message: `${r.reason}, retrying in ${(r.delayMs / 1000).toFixed(1)} s` }),
  });
  const p = await plan(ref, access);
  const { repo, snapshot, layout, quant } = p;
  if (o.formats && !o.formats.includes(layout.format) && !o.force) throw noEngineError(repo, layout.format);
  const commit = snapshot.commit;
  const dir = modelDir(home, repo);
  emit({ type: "resolved", repo, commit, quant: quant.name, files: p.files.length, totalBytes: p.files.reduce((a, f) => a + f.size, 0) });

  // Facts from the header of the first weights file: a Range read of a few MB at most.
  let facts: ModelFacts = {};
  if (layout.format === "gguf") {
    const before = readManifest(home, repo);
    const known = before?.commit === commit && before.quants.find((q) => q.name === quant.name)?.downloaded;
    facts =
      known && before
        ? before.facts
        : await readGgufFacts(await fileUrl(access, repo, commit, quant.files[0].path), {
            headers: authHeaders(access),
            fetch: access.fetch,
          });
    if (!o.force) checkFitsMemory(quant, facts, repo);
  }
  if (o.signal?.aborted) throw abortError();

  return withModelLock(
    home,
    repo,
    { wait: o.wait, signal: o.signal, action: "pulled", onWait: (message) => emit({ type: "waiting", message }) },
    async () => {
      // read again under the lock: another process may have finished this very pull while we waited
      const before = readManifest(home, repo);
      const todo = p.files.filter((f) => !alreadyInStore(before, dir, f));
      const paths = new Map(todo.map((f) => [f.path, partialPaths(home, repo, commit, f)]));
      const onDisk = (f: RemoteFile) => {
        const pp = paths.get(f.path)!;
        if (existsSync(pp.verified)) return f.size;
        return existsSync(pp.partial) ? Math.min(statSync(pp.partial).size, f.size) : 0;
      };
      const totalBytes = todo.reduce((a, f) => a + f.size, 0);
      const resumedBytes = todo.reduce((a, f) => a + onDisk(f), 0);
      ensureDiskSpace(homePaths(home).home, totalBytes - resumedBytes, `${repo}:${quant.name}`);

      let fetchedBytes = 0;
      if (todo.length > 0) {
        emit({ type: "start", totalBytes, resumedBytes, files: todo.length });
        let done = resumedBytes;
        const queue = [...todo];
        const worker = async () => {
          for (let f = queue.shift(); f; f = queue.shift()) {
            const pp = paths.get(f.path)!;
            if (existsSync(pp.verified)) continue;
            const url = await fileUrl(access, repo, commit, f.path);
            const r = await downloadVerified(
              { url, dest: pp.verified, partial: pp.partial, size: f.size, sha256: f.sha256, gitOid: f.gitOid },
              {
                fetch: access.fetch,
                headers: authHeaders(access),
                signal: o.signal,
                onBytes: (n) => {
                  done += n;
                  emit({ type: "progress", doneBytes: done, totalBytes, file: f!.path });
                },
                onRetry: (message) => emit({ type: "retry", message }),
              },
            );
            fetchedBytes += r.fetched;
            emit({ type: "file", path: f.path, size: f.size, fetched: r.fetched, resumedFrom: r.resumedFrom });
          }
        };
        const workers = Array.from({ length: Math.min(o.concurrency ?? 4, todo.length) }, worker);
        // let every worker stop (abort or finish) before reporting, so no write races the caller
        const settled = await Promise.allSettled(workers);
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
        if (failed) throw o.signal?.aborted ? abortError() : failed.reason;
      }
      if (o.signal?.aborted) throw abortError();

      // Everything is verified: move it into place, then write the manifest (the commit point).
      for (const f of todo) {
        const dest = path.join(dir, f.path);
        mkdirSync(path.dirname(dest), { recursive: true });
        renameSync(paths.get(f.path)!.verified, dest);
      }
      const manifest = buildManifest(before, repo, snapshot, layout, p.files, facts, dir);
      writeManifest(home, manifest);
      return { repo, quant: quant.name, commit, manifest, fetchedBytes, resumedBytes, upToDate: todo.length === 0 };
    },
  );
}

const PIPELINE_TYPES: Record<string, ModelType> = {
  "text-generation": "llm",
  "text2text-generation": "llm",
  "image-text-to-text": "vlm",
  "image-to-text": "vlm",
  "feature-extraction": "embedder",
  "sentence-similarity": "embedder",
  "text-ranking": "reranker",
  "text-classification": "reranker",
  "automatic-speech-recognition": "asr",
  "text-to-speech": "tts",
  "text-to-audio": "tts",
  "object-detection": "cv",
  "image-classification": "cv",
  "image-segmentation": "cv",
  "text-to-image": "image_gen",
  "voice-activity-detection": "diarize",
};

function modelTypeOf(layout: RepoLayout, facts: ModelFacts, snapshot: RepoSnapshot, hasMmproj: boolean): ModelType {
  if (layout.format === "gguf") {
    const t = facts.typeGuess ?? "llm";
    return t === "llm" && hasMmproj ? "vlm" : t;
  }
  if (layout.format === "ggml" && /whisper/i.test(snapshot.repo)) return "asr";
  if (layout.shared.some((f) => f.path === "model_index.json")) return "image_gen"; // diffusers layout (until issue 13a's resolver)
  return (snapshot.pipelineTag && PIPELINE_TYPES[snapshot.pipelineTag]) || "llm";
}

function buildManifest(
  before: Manifest | undefined,
  repo: string,
  snapshot: RepoSnapshot,
  layout: RepoLayout,
  fetched: RemoteFile[],
  facts: ModelFacts,
  dir: string,
): Manifest {
  const quantOf = new Map<string, string>();
  for (const q of layout.quants) for (const f of q.files) quantOf.set(f.path, q.name);
  const now = new Set(fetched.map((f) => f.path));
  // a file counts as downloaded if this pull fetched it, or an earlier one did and it is unchanged
  const wasThere = (f: RemoteFile) => alreadyInStore(before, dir, f);
  const listed = [...layout.quants.flatMap((q) => q.files), ...layout.mmproj, ...layout.shared];
  const files: ManifestFile[] = listed.map((f) => ({
    path: f.path,
    size: f.size,
    sha256: f.sha256,
    gitOid: f.gitOid,
    role: quantOf.has(f.path)
      ? layout.format === "gguf" && /-\d{5}-of-\d{5}\.gguf$/i.test(f.path) && !/-00001-of-/.test(f.path)
        ? "shard"
        : "weights"
      : roleOf(f.path),
    quant: quantOf.get(f.path),
    downloaded: now.has(f.path) || wasThere(f),
  }));
  const downloaded = new Set(files.filter((f) => f.downloaded).map((f) => f.path));
  const hasMmproj = layout.mmproj.some((f) => downloaded.has(f.path));
  const modalities = hasMmproj ? ["text", "image"] : facts.modalities;
  // keep facts of an earlier pull when this one had none to read
  const mergedFacts = Object.keys(facts).length > 0 ? { ...facts, modalities } : (before?.facts ?? {});
  return {
    version: 1,
    repo,
    commit: snapshot.commit,
    type: modelTypeOf(layout, facts, snapshot, hasMmproj),
    format: layout.format,
    files,
    quants: layout.quants.map((q) => ({
      name: q.name,
      size: q.size,
      files: q.files.map((f) => f.path),
      downloaded: q.files.every((f) => downloaded.has(f.path)),
    })),
    facts: mergedFacts,
    pulledAt: new Date().toISOString(),
    pipelineTag: snapshot.pipelineTag,
  };
}
