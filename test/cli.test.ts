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
