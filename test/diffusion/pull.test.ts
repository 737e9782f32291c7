// `hearth pull` of a Stable Diffusion repo in diffusers' ONNX layout from the mock hub, then the
// pulled model generating by its store name through the SDK and the CLI.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { startMockHub, type MockHub } from "../helpers/mockHub.ts";
import { runHearth } from "../helpers/cli.ts";
import { diffusionFiles } from "../../fixtures/diffusion.ts";
import { pullModel } from "../../src/store/index.ts";
import { resolveModel } from "../../src/resolve/resolveModel.ts";
import { ImageGenerator } from "../../src/sdk/ImageGenerator.ts";

const repo = "hearth-test/tiny-sd-onnx";
const home = mkdtempSync(path.join(os.tmpdir(), "hearth-sd-pull-"));
let hub: MockHub;
const saved = process.env.HF_ENDPOINT;

before(async () => {
  const files = [...diffusionFiles("diffusion")].map(([p, data]) => ({ path: p, data: Buffer.from(data), lfs: /\.onnx(_data)?$/.test(p) }));
  // no pipeline tag: model_index.json alone marks the layout
  hub = await startMockHub([{ id: repo, sha: createHash("sha1").update(repo).digest("hex"), files }]);
  process.env.HF_ENDPOINT = hub.url;
});
after(async () => {
  await hub?.close();
  if (saved === undefined) delete process.env.HF_ENDPOINT;
  else process.env.HF_ENDPOINT = saved;
  rmSync(home, { recursive: true, force: true });
});

test("pull fetches every part; the store resolves it as an image model with each part named", async () => {
  const pulled = await pullModel(repo, { home });
  assert.equal(pulled.manifest.type, "image_gen");
  assert.equal(pulled.manifest.format, "onnx");
  const files = await resolveModel(repo, { home, pull: false });
  assert.equal(files.type, "image_gen");
  for (const part of ["text_encoder", "unet", "vae_decoder", "vae_encoder", "scheduler", "tokenizer.vocab", "tokenizer.merges"]) {
    assert.ok(files.extra?.[part], `${part} resolved`);
  }
  assert.ok(hub.bytesServed("unet/model.onnx_data") > 0, "the UNet's external data was fetched");
});

test("the pulled model generates by its store name (SDK and CLI)", async () => {
  process.env.HEARTH_HOME = home;
  const gen = await ImageGenerator.load(repo, { threads: 1, pull: false });
  try {
    const r = await gen.generate({ prompt: "a red fox", steps: 2, seed: 3 });
    assert.deepEqual([(await sharp(r.png).metadata()).width, r.height], [64, 64]);
  } finally {
    await gen.dispose();
  }
  const out = path.join(home, "fox.png");
  const cli = await runHearth(["infer", repo, "-p", "a red fox", "-o", out, "--steps", "1", "--threads", "1"], {
    env: { HEARTH_HOME: home, HF_ENDPOINT: hub.url },
  });
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal((await sharp(out).metadata()).height, 64);
});
