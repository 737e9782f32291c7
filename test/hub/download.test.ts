// Downloads against the mock hub, in process: Range resume after a cut, a flipped byte caught by the
// sha256 check and fetched again, 429 and 5xx retried (Retry-After respected), an abort that keeps
// the partial file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fixtureRepos, startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { downloadVerified } from "../../src/hub/download.ts";
import { retryingFetch, retryAfterMs } from "../../src/hub/retry.ts";
import { isHearthError } from "../../src/errors/HearthError.ts";

let hub: MockHub;
let dir: string;
let file: { path: string; data: Buffer };
let url: string;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

before(async () => {
  hub = await startMockHub(await fixtureRepos());
  const repo = hub.repos.find((r) => r.id === "hearth-test/tiny-GGUF")!;
  file = repo.files.find((f) => f.path === "tiny-Q8_0.gguf")!;
  url = `${hub.url}/${repo.id}/resolve/${repo.sha}/${file.path}`;
  dir = mkdtempSync(path.join(os.tmpdir(), "hearth-dl-"));
});
after(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

function target(name: string) {
  return {
    url,
    dest: path.join(dir, name, "out.gguf"),
    partial: path.join(dir, name, "out.part"),
    size: file.data.length,
    sha256: sha(file.data),
  };
}

test("a connection cut at 50% resumes with a Range request: about half the file is fetched again, not all of it", async () => {
  hub.reset();
  hub.faults.push({ kind: "cut", atFraction: 0.5 });
  const retries: string[] = [];
  const t = target("cut");
  const r = await downloadVerified(t, { fetch: retryingFetch(), onRetry: (m) => retries.push(m) });
  assert.equal(retries.length, 1, "one resume");
  assert.ok(
    hub.requests.some((l) => /bytes=\d+-$/.test(l)),
    "a Range resume request was made",
  );
  assert.ok(hub.bytesServed() < file.data.length * 1.1, `served ${hub.bytesServed()} of ${file.data.length}`);
  assert.equal(r.fetched, file.data.length);
  assert.equal(sha(readFileSync(t.dest)), t.sha256);
  assert.equal(existsSync(t.partial), false, "partial moved into place");
});

test("a flipped byte fails the sha256 check and the file is fetched again", async () => {
  hub.reset();
  hub.faults.push({ kind: "flip" });
  const retries: string[] = [];
  const t = target("flip");
  await downloadVerified(t, { fetch: retryingFetch(), onRetry: (m) => retries.push(m) });
  assert.ok(
    retries.some((m) => /checksum mismatch/.test(m)),
    retries.join("; "),
  );
  assert.equal(hub.bytesServed(), 2 * file.data.length, "fetched twice");
  assert.equal(sha(readFileSync(t.dest)), t.sha256);
});

test("a file that is corrupt every time ends in checksum_mismatch, leaving nothing in place", async () => {
  hub.reset();
  hub.faults.push({ kind: "flip", times: 10 });
  const t = target("always-bad");
  await assert.rejects(
    downloadVerified(t, { fetch: retryingFetch(), attempts: 2 }),
    (e) => isHearthError(e) && e.code === "checksum_mismatch",
  );
  assert.equal(existsSync(t.dest), false);
});

test("429 with Retry-After and 503 are retried, then the download succeeds", async () => {
  hub.reset();
  hub.faults.push({ kind: "status", status: 429, retryAfter: 1 }, { kind: "status", status: 503 });
  const seen: { status?: number; delayMs: number }[] = [];
  const t = target("retry");
  await downloadVerified(t, { fetch: retryingFetch({ onRetry: (r) => seen.push(r) }) });
  assert.deepEqual(
    seen.map((s) => s.status),
    [429, 503],
  );
  assert.equal(seen[0].delayMs, 1000, "waited what Retry-After said");
  assert.equal(sha(readFileSync(t.dest)), t.sha256);
});

test("a hub that keeps failing gives up with the last status", async () => {
  hub.reset();
  hub.faults.push({ kind: "status", status: 500, times: 10 });
  const res = await retryingFetch({ retries: 2, baseDelayMs: 1 })(url);
  assert.equal(res.status, 500);
  hub.reset();
});

test("Retry-After accepts seconds and HTTP dates", () => {
  assert.equal(retryAfterMs("3"), 3000);
  assert.equal(retryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now())! > 3000, true);
  assert.equal(retryAfterMs(null), undefined);
});

test("an abort keeps the partial file; the next call resumes from it", async () => {
  hub.reset();
  hub.faults.push({ kind: "slow", bytesPerSec: 40_000 });
  const t = target("abort");
  const ac = new AbortController();
  let got = 0;
  const p = downloadVerified(t, {
    fetch: retryingFetch(),
    signal: ac.signal,
    onBytes: (n) => {
      got += n;
      if (got > 40_000) ac.abort();
    },
  });
  await assert.rejects(p, (e) => isHearthError(e) && e.code === "aborted");
  const kept = statSync(t.partial).size;
  assert.ok(kept > 0 && kept < file.data.length, `kept ${kept}`);
  hub.reset();
  const r = await downloadVerified(t, { fetch: retryingFetch() });
  assert.equal(r.resumedFrom, kept);
  assert.equal(hub.bytesServed(), file.data.length - kept);
  assert.equal(sha(readFileSync(t.dest)), t.sha256);
});

test("nothing listening at the hub address fails at once instead of retrying", async () => {
  const closed = await startMockHub([]);
  const url = `${closed.url}/x`;
  await closed.close();
  let retries = 0;
  await assert.rejects(retryingFetch({ onRetry: () => retries++ })(url), (e: Error) => /fetch failed/.test(e.message));
  assert.equal(retries, 0);
});
