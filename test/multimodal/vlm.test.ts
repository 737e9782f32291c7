// VLM end to end on random weights: the tiny llama fixture + a gemma3-type mmproj that llama.cpp's
// mtmd really loads and runs. The text is meaningless; shapes, token counts, timings and errors are not.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureVlmFixture, imageTokens } from "../../fixtures/mmproj.ts";
import { VLM } from "../../src/sdk/VLM.ts";
import type { HearthError } from "../../src/errors/HearthError.ts";
import { solidPng, hugePngHeader } from "./images.ts";

let fx: Awaited<ReturnType<typeof ensureVlmFixture>>;
let vlm: VLM;
let textOnly: VLM;
const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-vlm-"));
// llama.node cannot forbid the end tokens (llama-mm refuses a logit bias): the random model may end early
const greedy = { temperature: 0, maxTokens: 8, seed: 1 };

before(async () => {
  fx = await ensureVlmFixture();
  vlm = await VLM.load(fx.model, { mmproj: fx.mmproj, contextSize: 512, threads: 2 });
  textOnly = await VLM.load(fx.model, { contextSize: 512, threads: 2 });
});

after(async () => {
  await vlm?.dispose();
  await textOnly?.dispose();
});

test("the projector loads and reports vision support", () => {
  assert.deepEqual(vlm.supports, { vision: true, audio: false });
  assert.deepEqual(textOnly.supports, { vision: false, audio: false });
  assert.equal(vlm.info.backend, "llama-mm");
  assert.equal(vlm.info.settings.threads, 2);
});

test("an image in the prompt adds its image tokens; chunks stream and add up to the result", async () => {
  const png = await solidPng(300, 200);
  const plain = await vlm.chat([{ role: "user", content: "describe" }], greedy).result;
  const stream = vlm.chat(
    [
      {
        role: "user",
        content: [
          { type: "text", text: "describe" },
          { type: "image", image: png },
        ],
      },
    ],
    greedy,
  );
  let streamed = "";
  for await (const c of stream) if (c.type === "text") streamed += c.text;
  const r = await stream.result;
  assert.equal(streamed, r.text);
  assert.ok(r.usage.completionTokens > 0 && r.usage.completionTokens <= 8);
  // the image becomes imageTokens(spec) embeddings plus its begin/end marker tokens
  assert.ok(
    r.usage.promptTokens >= plain.usage.promptTokens + imageTokens(fx.spec),
    `${r.usage.promptTokens} vs ${plain.usage.promptTokens}`,
  );
  assert.ok(r.profile.totalMs > 0 && r.profile.ttftMs! > 0);
  assert.equal(r.profile.device, "llama-mm/cpu");
});

test("images come as a file path, bytes or a data URI, with the same result", async () => {
  const png = await solidPng(64, 64, [0, 200, 0]);
  const file = path.join(dir, "green image.png");
  writeFileSync(file, png);
  const ask = (image: string | Uint8Array) =>
    vlm.chat(
      [
        {
          role: "user",
          content: [
            { type: "image", image },
            { type: "text", text: "what colour?" },
          ],
        },
      ],
      greedy,
    ).result;
  const a = await ask(file);
  const b = await ask(new Uint8Array(png));
  const c = await ask(`data:image/png;base64,${png.toString("base64")}`);
  assert.equal(a.text, b.text);
  assert.equal(b.text, c.text);
  assert.equal(a.usage.promptTokens, c.usage.promptTokens);
});

test("two images in one message both reach the model", async () => {
  const one = await vlm.chat([{ role: "user", content: [{ type: "image", image: await solidPng(32, 32) }] }], greedy).result;
  const two = await vlm.chat(
    [
      {
        role: "user",
        content: [
          { type: "image", image: await solidPng(32, 32) },
          { type: "image", image: await solidPng(40, 40) },
        ],
      },
    ],
    greedy,
  ).result;
  assert.ok(two.usage.promptTokens >= one.usage.promptTokens + imageTokens(fx.spec));
});

test("a model loaded without an mmproj refuses an image with unsupported_task", async () => {
  await assert.rejects(
    textOnly.chat([{ role: "user", content: [{ type: "image", image: await solidPng(16, 16) }] }], greedy).result,
    (e: HearthError) => e.code === "unsupported_task" && /mmproj/.test(e.message),
  );
  // and still answers text
  const r = await textOnly.chat([{ role: "user", content: "hi" }], greedy).result;
  assert.ok(r.usage.completionTokens > 0);
});

test("a corrupt image, a missing file and a 20000x20000 image are refused with clear errors", async () => {
  const ask = (image: string | Uint8Array) => vlm.chat([{ role: "user", content: [{ type: "image", image }] }], greedy).result;
  await assert.rejects(
    ask(new Uint8Array(Buffer.from("this is not an image"))),
    (e: HearthError) => e.code === "unsupported_media" && /cannot read the image/.test(e.message),
  );
  const truncated = (await solidPng(64, 64)).subarray(0, 60);
  await assert.rejects(ask(new Uint8Array(truncated)), (e: HearthError) => e.code === "unsupported_media");
  await assert.rejects(ask(path.join(dir, "nope.png")), (e: HearthError) => e.code === "bad_input" && /no such file/.test(e.message));
  const t0 = performance.now();
  await assert.rejects(
    ask(new Uint8Array(hugePngHeader())),
    (e: HearthError) => e.code === "unsupported_media" && /20000x20000/.test(e.message),
  );
  assert.ok(performance.now() - t0 < 2000, "refused from the header, not by decoding");
  // the model keeps serving
  const r = await vlm.chat([{ role: "user", content: [{ type: "image", image: await solidPng(16, 16) }] }], greedy).result;
  assert.ok(r.usage.completionTokens > 0);
});

test("a remote image URL is refused unless allowed", async () => {
  await assert.rejects(
    vlm.chat([{ role: "user", content: [{ type: "image", image: "http://127.0.0.1:9/cat.png" }] }], greedy).result,
    (e: HearthError) => e.code === "bad_input" && /remote/.test(e.message),
  );
});

test("complete() runs plain text through the same engine; abort rejects with aborted", async () => {
  const r = await vlm.complete("Once upon a time", greedy).result;
  assert.ok(r.usage.completionTokens > 0);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(vlm.complete("x", { ...greedy, signal: ac.signal }).result, (e: HearthError) => e.code === "aborted");
});

test("a missing mmproj path and a projector given as the text model are refused at load", async () => {
  await assert.rejects(VLM.load(fx.model, { mmproj: path.join(dir, "missing.gguf") }), (e: HearthError) => e.code === "model_not_found");
  // the mmproj given as the text model: not a text model
  await assert.rejects(VLM.load(fx.mmproj, { contextSize: 256 }), (e: HearthError) => e.code === "unsupported_architecture");
});

test("a projector whose output width does not match the text model is refused at load", async () => {
  const { writeGguf } = await import("../../fixtures/ggufWriter.ts");
  const { mmprojModel } = await import("../../fixtures/mmproj.ts");
  const { metadata, tensors } = mmprojModel({ ...fx.spec, textEmbd: 128 });
  const wrong = path.join(dir, "mmproj-128.gguf");
  await writeGguf(wrong, metadata, tensors);
  await assert.rejects(
    VLM.load(fx.model, { mmproj: wrong, contextSize: 256 }),
    (e: HearthError) => e.code === "unsupported_architecture" && /does not load with this model/.test(e.message),
  );
  await assert.rejects(
    VLM.load(fx.model, { mmproj: fx.model, contextSize: 256 }),
    (e: HearthError) => e.code === "unsupported_architecture" && /not a multimodal projector/.test(e.message),
  );
});
