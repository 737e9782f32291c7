// `hearth infer <image model> -p ... -o out.png` through the real CLI on the random-weight fixture:
// a PNG of the requested size, a seed that reproduces it, image-to-image, and the errors a user meets.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { runHearth } from "../helpers/cli.ts";
import { ensureDiffusionFixture } from "../../fixtures/diffusion.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-image-cli-"));
const env = { HEARTH_HOME: home };
after(() => rmSync(home, { recursive: true, force: true }));
const model = ensureDiffusionFixture("diffusion");

test("hearth infer MODEL -p ... -o out.png writes a PNG of --size; --seed reproduces it", async () => {
  const a = path.join(home, "fox-a.png");
  const b = path.join(home, "fox-b.png");
  const args = (out: string) => [
    "infer",
    model,
    "-p",
    "a red fox",
    "-o",
    out,
    "--steps",
    "2",
    "--size",
    "64x48",
    "--seed",
    "7",
    "--threads",
    "1",
  ];
  const r = await runHearth(args(a), { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${a}\n`);
  assert.match(r.stderr, /64x48, seed 7, 2 steps, [\d.]+ s\/step, [\d.]+ s total, peak [\d.]+ [KMG]B \(diffusion\/cpu\)/);
  const meta = await sharp(a).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ["png", 64, 48]);
  assert.equal((await runHearth(args(b), { env })).code, 0);
  assert.deepEqual(readFileSync(a), readFileSync(b));
});

test("an image argument makes it image-to-image; --json gives the result", async () => {
  const input = path.join(home, "in.png");
  await sharp({ create: { width: 64, height: 64, channels: 3, background: "#3060a0" } })
    .png()
    .toFile(input);
  const out = path.join(home, "edit.png");
  const r = await runHearth(
    ["infer", model, input, "-p", "a painting", "-o", out, "--strength", "0.5", "--steps", "4", "--seed", "1", "--json", "--threads", "1"],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.output, out);
  assert.equal(j.profile.steps, 2, "strength 0.5 of 4 steps runs the last 2");
  assert.equal((await sharp(out).metadata()).width, 64);
});

test("bad input exits non-zero with one line saying what to do", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--size", "63x64"], /width must be a positive multiple of 8, got 63/],
    [["--size", "big"], /--size must be WIDTHxHEIGHT/],
    [["--steps", "5000"], /steps must be a whole number from 1 to 1000/],
  ];
  for (const [extra, message] of cases) {
    const r = await runHearth(["infer", model, "-p", "x", "-o", path.join(home, "x.png"), "--threads", "1", ...extra], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  const noOut = await runHearth(["infer", model, "-p", "x"], { env });
  assert.notEqual(noOut.code, 0);
  assert.match(noOut.stderr, /-o out\.png/);
});

test("on a terminal, a progress bar counts the steps", async () => {
  const { TmuxSession } = await import("../cli/tmux.ts");
  const { repoRoot, hearthBin } = await import("../helpers/cli.ts");
  const out = path.join(home, "tty.png");
  const t = new TmuxSession(
    [process.execPath, hearthBin, "infer", model, "-p", "a red fox", "-o", out, "--steps", "12", "--seed", "1", "--threads", "1"],
    { ...env, NO_COLOR: "1" },
    repoRoot,
  );
  try {
    const screen = await t.waitFor(/\[exit \d+\]/, 120_000);
    assert.match(screen, /\[exit 0\]/);
    assert.match(screen, /step 12\/12/);
    assert.match(screen, /64x64, seed 1, 12 steps/);
  } finally {
    t.kill();
  }
});
