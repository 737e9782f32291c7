// `hearth pull` on a real terminal (a pseudo-terminal made by util-linux `script`): a progress bar
// with bytes, speed and ETA, and Ctrl-C typed at the terminal (^C through the line discipline, so
// SIGINT reaches the foreground process) stops it cleanly; a later pull resumes.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fixtureRepos, startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { hearthBin, repoRoot, runHearth } from "../helpers/cli.ts";

let hub: MockHub | undefined;
const home = mkdtempSync(path.join(os.tmpdir(), "hearth-tty-"));

after(async () => {
  await hub?.close();
  rmSync(home, { recursive: true, force: true });
});

test("a terminal gets a progress bar; Ctrl-C leaves a resumable partial and lists nothing", async () => {
  hub = await startMockHub(await fixtureRepos());
  const file = "tiny-Q8_0.gguf";
  const size = hub.repos.find((r) => r.id === "hearth-test/tiny-GGUF")!.files.find((f) => f.path === file)!.data.length;
  hub.faults.push({ kind: "slow", bytesPerSec: 20_000, path: file });
  const env = { HF_ENDPOINT: hub.url, HEARTH_HOME: home, NO_COLOR: "1" };
  const child = spawn("script", ["-qfec", `'${process.execPath}' '${hearthBin}' pull hearth-test/tiny-GGUF:Q8_0`, "/dev/null"], {
    cwd: repoRoot,
    env: { ...process.env, ...env, TERM: "xterm" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.on("data", (d) => (screen += d));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  const bar = /[░█]+ [1-9]\d*% \| [\d.]+ KB\/162\.5 KB \| [\d.]+ KB\/s \| ETA \d+s/;
  const end = Date.now() + 90_000;
  while (!bar.test(screen)) {
    assert.ok(Date.now() < end, `no progress bar; terminal showed:\n${screen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(screen, /pulling hearth-test\/tiny-GGUF:Q8_0/);
  child.stdin.write("\x03"); // Ctrl-C
  assert.equal(await closed, 130);
  assert.match(screen, /error: download interrupted \(run the same pull again to resume\)/);

  const list = await runHearth(["list", "--json"], { env });
  assert.deepEqual(
    JSON.parse(list.stdout).filter((m: { embedded: boolean }) => !m.embedded),
    [],
  );
  const before = hub.bytesServed(file);
  const again = await runHearth(["pull", "hearth-test/tiny-GGUF:Q8_0", "--json"], { env });
  assert.equal(again.code, 0, again.stderr);
  const out = JSON.parse(again.stdout);
  assert.ok(out.resumedBytes > 0 && out.resumedBytes <= before, `resumed ${out.resumedBytes}`);
  assert.equal(hub.bytesServed(file) - before, size - out.resumedBytes, "only the rest was fetched");
});
