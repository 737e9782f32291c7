import { test } from "node:test";
import assert from "node:assert/strict";
import { runHearth } from "./helpers/cli.ts";

test("hearth --help lists the verbs and exits 0", async () => {
  const r = await runHearth(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: hearth/);
});

test("an unknown verb exits non-zero with a one-line error", async () => {
  const r = await runHearth(["frobnicate"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown command/);
});

test("a reader that goes away (| true, | head) ends list and devices quietly with exit 0", async () => {
  const { execFileSync } = await import("node:child_process");
  const { mkdtempSync, readFileSync } = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { hearthBin } = await import("./helpers/cli.ts");
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-epipe-"));
  for (const args of ["list --json", "devices"]) {
    const err = path.join(home, "err.txt");
    // `true` exits at once, so the pipe is closed before hearth writes its first line
    const script = `"${process.execPath}" "${hearthBin}" ${args} 2>"${err}" | true; echo \${PIPESTATUS[0]}`;
    const code = execFileSync("bash", ["-c", script], { env: { ...process.env, HEARTH_HOME: home }, encoding: "utf8" }).trim();
    const stderr = readFileSync(err, "utf8");
    assert.equal(code, "0", `${args}: ${stderr}`);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled|Error/, args);
  }
});
