// One build of dist/ at a time in a checkout: `npm run build` and `npm run build:web` take this lock
// (the tests start both, in parallel processes), and a build a build runs (build.mjs -> build:web)
// inherits it. A lock whose process is gone is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const HELD = "HEARTH_BUILD_LOCK_HELD";

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
};

/** Waits for the checkout's build lock and takes it; returns its release (a no-op where inherited). */
export async function buildLock(root) {
  if (process.env[HELD]) return () => {};
  const dir = path.join(root, ".build-lock");
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, "pid"), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path.join(dir, "pid"), "utf8"));
      } catch {}
      // a lock without a pid file is being taken right now, unless it stays so
      if ((Number.isInteger(owner) && !alive(owner)) || (!Number.isInteger(owner) && waited > 5000)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (waited === 2000) console.error(`waiting for another build of this checkout (${dir})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  process.env[HELD] = "1";
  const release = () => rmSync(dir, { recursive: true, force: true });
  process.on("exit", release);
  return release;
}
