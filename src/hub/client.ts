// What hearth needs from the Hugging Face hub, through @huggingface/hub: a repo's commit and its
// files with sizes and LFS sha256, and the URL of one file at that commit. HF_ENDPOINT and HF_TOKEN
// come from config/env.ts; every request goes through the retrying fetch.
import { fileDownloadInfo, listFiles, modelInfo, HubApiError } from "@huggingface/hub";
import { readEnv } from "../config/env.ts";
import { HearthError } from "../errors/HearthError.ts";
import { retryingFetch, type RetryPolicy } from "./retry.ts";

export interface HubAccess {
  hubUrl: string;
  accessToken?: string;
  fetch: typeof fetch;
}

export interface RemoteFile {
  /** path inside the repo */
  path: string;
  size: number;
  /** sha256 of the content (the LFS oid), for files stored in LFS */
  sha256?: string;
  /** git blob sha1 (the oid of files not in LFS) */
  gitOid?: string;
}

export interface RepoSnapshot {
  repo: string;
  commit: string;
  pipelineTag?: string;
  files: RemoteFile[];
}

export function hubAccess(policy: RetryPolicy = {}, env = readEnv()): HubAccess {
  return { hubUrl: env.hfEndpoint, accessToken: env.hfToken, fetch: retryingFetch(policy) };
}

export function authHeaders(access: HubAccess): Record<string, string> {
  return access.accessToken ? { Authorization: `Bearer ${access.accessToken}` } : {};
}

/** Turns the library's errors into the one line a user reads. */
export function hubError(e: unknown, repo: string, what = "model"): HearthError {
  if (e instanceof HearthError) return e;
  if (e instanceof HubApiError) {
    if (e.statusCode === 404) {
      return new HearthError("model_not_found", `${what} "${repo}" was not found on the hub`, {
        hint: "check the name on huggingface.co (org/repo), or set HF_TOKEN for a private or gated repo",
        cause: e,
      });
    }
    if (e.statusCode === 401 || e.statusCode === 403) {
      return new HearthError("unauthorized", `the hub refused access to "${repo}" (HTTP ${e.statusCode})`, {
        hint: "set HF_TOKEN to a token that can read it, and accept the model's licence on huggingface.co if it is gated",
        cause: e,
      });
    }
    return new HearthError("download_failed", `the hub answered HTTP ${e.statusCode} for "${repo}"`, {
      hint: "try again later; HF_ENDPOINT selects another hub",
      cause: e,
    });
  }
  const msg = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
  return new HearthError("download_failed", `cannot reach the hub for "${repo}": ${msg}`, {
    hint: "check the network (HF_ENDPOINT is the hub address)",
    cause: e,
  });
}

/** The repo at a revision: its commit and every file, recursively. */
export async function repoSnapshot(access: HubAccess, repo: string, revision = "main"): Promise<RepoSnapshot> {
  try {
    const info = await modelInfo({
      name: repo,
      revision,
      hubUrl: access.hubUrl,
      accessToken: access.accessToken,
      fetch: access.fetch,
      additionalFields: ["sha"],
    });
    const commit = (info as { sha?: string }).sha ?? revision;
    const files: RemoteFile[] = [];
    for await (const entry of listFiles({
      repo: { type: "model", name: repo },
      revision: commit,
      recursive: true,
      hubUrl: access.hubUrl,
      accessToken: access.accessToken,
      fetch: access.fetch,
    })) {
      if (entry.type !== "file") continue;
      files.push({
        path: entry.path,
        size: entry.lfs?.size ?? entry.size,
        sha256: entry.lfs?.oid,
        gitOid: entry.lfs ? undefined : entry.oid,
      });
    }
    return { repo, commit, pipelineTag: info.task, files };
  } catch (e) {
    throw hubError(e, repo);
  }
}

/** Where one file's bytes come from (following the hub's redirect to its CDN, if any). */
export async function fileUrl(access: HubAccess, repo: string, commit: string, file: string): Promise<string> {
  try {
    const info = await fileDownloadInfo({
      repo: { type: "model", name: repo },
      path: file,
      revision: commit,
      hubUrl: access.hubUrl,
      accessToken: access.accessToken,
      fetch: access.fetch,
    });
    if (!info)
      throw new HearthError("download_failed", `"${file}" is missing from ${repo} at ${commit.slice(0, 12)}`, {
        hint: "the repo changed during the pull; run it again",
      });
    return info.url;
  } catch (e) {
    throw hubError(e, `${repo}/${file}`, "file");
  }
}
