// One lock per model (locks/<org>--<repo>.lock, a proper-lockfile directory that its holder keeps
// fresh), so two processes never write the same model at once. A second pull waits, saying so, or
// with wait: false fails at once as busy. A holder that died leaves a lock that goes stale in seconds.
import { mkdirSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import { homePaths } from "../config/env.ts";
import { HearthError } from "../errors/HearthError.ts";
import { abortError, sleep } from "../hub/retry.ts";

const STALE_MS = 10_000;

export function lockPaths(home: string, repo: string) {
  const locks = homePaths(home).locks;
  return { target: locks, lockfilePath: path.join(locks, `${repo.replace("/", "--")}.lock`) };
}

export interface LockOptions {
  /** wait for another holder (default) or fail with "busy" */
  wait?: boolean;
  /** called once when the lock is held by someone else and we wait */
  onWait?: (message: string) => void;
  signal?: AbortSignal;
  /** what is being done, for the busy message */
  action?: string;
}

export async function withModelLock<T>(home: string, repo: string, o: LockOptions, fn: () => Promise<T>): Promise<T> {
  const { target, lockfilePath } = lockPaths(home, repo);
  mkdirSync(target, { recursive: true });
  let release: (() => Promise<void>) | undefined;
  let told = false;
  for (;;) {
    try {
      release = await lockfile.lock(target, {
        lockfilePath,
        realpath: false,
        stale: STALE_MS,
        update: STALE_MS / 4,
        onCompromised: () => {},
      });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ELOCKED") throw e;
      if (o.wait === false) {
        throw new HearthError("busy", `${repo} is being ${o.action ?? "changed"} by another hearth process`, {
          hint: "wait for it to finish, or run without --no-wait to wait",
        });
      }
      if (!told) {
        o.onWait?.(`waiting for another hearth process that is pulling ${repo}...`);
        told = true;
      }
      if (o.signal?.aborted) throw abortError();
      await sleep(500, o.signal);
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

/** Whether a live process holds the model's lock. */
export async function isLocked(home: string, repo: string): Promise<boolean> {
  const { target, lockfilePath } = lockPaths(home, repo);
  return lockfile.check(target, { lockfilePath, realpath: false, stale: STALE_MS }).catch(() => false);
}
