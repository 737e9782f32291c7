// A vision-language model served from two files (`hearth serve model.gguf --mmproj proj.gguf`):
// OpenAI image_url parts as data URIs reach the multimodal engine; remote URLs are refused unless
// the server allows remote media; an image sent to a text-only model is a clear 400.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { ensureVlmFixture, imageTokens } from "../../fixtures/mmproj.ts";
import { ensureFixture } from "../../fixtures/index.ts";
import { solidPng } from "../multimodal/images.ts";
import { idOf, startServer, useTempHome, type TestServer } from "./helpers.ts";

useTempHome();
let server: TestServer;
let vlmId: string;
let textOnly: string;
let spec: Awaited<ReturnType<typeof ensureVlmFixture>>["spec"];

before(async () => {
  const fx = await ensureVlmFixture();
  spec = fx.spec;
  vlmId = idOf(fx.model);
  // the VLM fixture's text model is the tiny fixture, so the text-only model here is another one
  const textFile = await ensureFixture("tools");
  textOnly = idOf(textFile);
  server = await startServer({ models: [fx.model, textFile], mmproj: fx.mmproj, load: { threads: 2, contextSize: 512 } });
});

after(async () => {
  await server?.close();
});

test("image_url data URI: the image's tokens are in the prompt; the model is listed as a vlm", async () => {
  const png = await solidPng(96, 64);
  const url = `data:image/png;base64,${png.toString("base64")}`;
  const plain = await server.client.chat.completions.create({
    model: vlmId,
    messages: [{ role: "user", content: "describe" }],
    max_tokens: 4,
    temperature: 0,
  });
  const withImage = await server.client.chat.completions.create({
    model: vlmId,
    max_tokens: 4,
    temperature: 0,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "describe" },
          { type: "image_url", image_url: { url } },
        ],
      },
    ],
  });
  assert.ok(
    withImage.usage!.prompt_tokens >= plain.usage!.prompt_tokens + imageTokens(spec),
    `${withImage.usage!.prompt_tokens} vs ${plain.usage!.prompt_tokens}`,
  );
  const listed = (await server.client.models.list()).data.find((m) => m.id === vlmId) as unknown as { type: string };
  assert.equal(listed.type, "vlm");
});

test("remote image URLs are refused without --allow-remote-media; a corrupt image is 400", async () => {
  await assert.rejects(
    server.client.chat.completions.create({
      model: vlmId,
      max_tokens: 2,
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }],
    }),
    (e: unknown) => e instanceof OpenAI.BadRequestError,
  );
  await assert.rejects(
    server.client.chat.completions.create({
      model: vlmId,
      max_tokens: 2,
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAAAAAA" } }] }],
    }),
    (e: unknown) => e instanceof OpenAI.BadRequestError,
  );
});

test("an image sent to a text-only model is a 400, not a crash", async () => {
  const png = await solidPng(32, 32);
  await assert.rejects(
    server.client.chat.completions.create({
      model: textOnly,
      max_tokens: 2,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${png.toString("base64")}` } },
          ],
        },
      ],
    }),
    (e: unknown) => e instanceof OpenAI.BadRequestError,
  );
  const ok = await server.client.chat.completions.create({
    model: textOnly,
    messages: [{ role: "user", content: "still fine" }],
    max_tokens: 2,
  });
  assert.equal(ok.choices.length, 1);
});
