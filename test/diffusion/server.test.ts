// POST /v1/images/generations and /v1/images/edits on a real server with the official `openai`
// client, the fixture pipeline running in a runner process: b64 PNGs of the asked size, seeds,
// OpenAI-shaped 400s for what is not served, a fuzz pass, and /docs listing both routes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import sharp from "sharp";
import { toFile } from "openai";
import { postJson, startServer, useTempHome, type TestServer } from "../server/helpers.ts";
import { ensureDiffusionFixture } from "../../fixtures/diffusion.ts";

useTempHome();
let server: TestServer;
const fixture = ensureDiffusionFixture("diffusion");
const model = path.basename(fixture); // the folder's name, as `hearth serve <folder>` lists it

before(async () => {
  server = await startServer({ models: [fixture] });
});
after(async () => {
  await server?.close();
});

const png = (b64: string | undefined) => sharp(Buffer.from(b64 ?? "", "base64")).metadata();

test("openai images.generate: b64 PNGs of the requested size; n images with counting seeds", async () => {
  const r = await server.client.images.generate({
    model,
    prompt: "a red fox",
    size: "64x48" as never,
    n: 2,
    response_format: "b64_json",
    seed: 5,
    steps: 2,
  } as never);
  assert.equal(r.data?.length, 2);
  for (const d of r.data ?? []) {
    const m = await png(d.b64_json);
    assert.deepEqual([m.format, m.width, m.height], ["png", 64, 48]);
  }
  assert.notEqual(r.data?.[0].b64_json, r.data?.[1].b64_json);
  const extra = (r as unknown as { hearth: { seeds: number[]; profile: { steps: number; device: string } } }).hearth;
  assert.deepEqual(extra.seeds, [5, 6]);
  assert.equal(extra.profile.device, "diffusion/cpu");
  // the same seed again: the same bytes
  const again = await server.client.images.generate({ model, prompt: "a red fox", size: "64x48" as never, seed: 5, steps: 2 } as never);
  assert.equal(again.data?.[0].b64_json, r.data?.[0].b64_json);
});

test("a server started with a seed (hearth serve --seed) counts images up from it where a request names none", async () => {
  const seeded = await startServer({ models: [fixture], seed: 1000 });
  try {
    const r = await seeded.client.images.generate({ model, prompt: "a red fox", size: "64x48" as never, n: 2, steps: 2 } as never);
    assert.deepEqual((r as unknown as { hearth: { seeds: number[] } }).hearth.seeds, [1000, 1001]);
    const named = await seeded.client.images.generate({ model, prompt: "a red fox", size: "64x48" as never, seed: 5, steps: 2 } as never);
    assert.deepEqual((named as unknown as { hearth: { seeds: number[] } }).hearth.seeds, [5], "the request's own seed wins");
    // without a server seed, each request draws one of its own
    const drawn = await server.client.images.generate({ model, prompt: "a red fox", size: "64x48" as never, steps: 1 } as never);
    const [seed] = (drawn as unknown as { hearth: { seeds: number[] } }).hearth.seeds;
    assert.ok(Number.isInteger(seed) && seed >= 0, String(seed));
  } finally {
    await seeded.close();
  }
});

test("openai images.edit: image-to-image from an upload", async () => {
  const input = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#208040" } })
    .png()
    .toBuffer();
  const r = await server.client.images.edit({
    model,
    prompt: "a painting",
    image: await toFile(input, "in.png", { type: "image/png" }),
    strength: 0.5,
    steps: 2,
  } as never);
  const m = await png(r.data?.[0].b64_json);
  assert.deepEqual([m.width, m.height], [64, 64]);
});

test("what is not served is a 400 saying why; an unknown model a 404; the model still answers", async () => {
  const cases: Array<[Record<string, unknown>, number, RegExp, string?]> = [
    [{ response_format: "url" }, 400, /keeps no image store/, "response_format"],
    [{ n: 5 }, 400, /1 to 4/, "n"],
    [{ size: "63x64" }, 400, /multiple of 8/],
    [{ size: "huge" }, 400, /WIDTHxHEIGHT/, "size"],
    [{ steps: 0 }, 400, /steps/],
    [{ guidance_scale: 99 }, 400, /guidance/],
    [{ model: "no-such-model" }, 404, /not served here/],
    [{ prompt: "" }, 400, /prompt/],
  ];
  for (const [patch, status, message, param] of cases) {
    const r = await postJson(server.base, "/v1/images/generations", { model, prompt: "x", steps: 1, ...patch });
    assert.equal(r.status, status, `${JSON.stringify(patch)}: ${r.text}`);
    assert.match(r.json.error.message, message);
    if (param) assert.equal(r.json.error.param, param);
  }
  const bad = await postJson(server.base, "/v1/images/edits", { model, prompt: "x", image: "data:image/png;base64,AAAA" });
  assert.equal(bad.status, 400, bad.text);
  const ok = await postJson(server.base, "/v1/images/generations", { model, prompt: "x", steps: 1 });
  assert.equal(ok.status, 200);
});

test("a client that goes away stops the generation between steps; the model answers the next request", async () => {
  const ac = new AbortController();
  const pending = fetch(`${server.base}/v1/images/generations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    signal: ac.signal,
    // four 512x512 images of 1000 steps: seconds of work even on a fast machine (256x256 once took
    // under 800 ms, answering before a timed abort)
    body: JSON.stringify({ model, prompt: "a long one", size: "512x512", n: 4, steps: 1000, seed: 1 }),
  }).then(
    async (r) => `answered before the abort: ${r.status} ${(await r.text()).slice(0, 200)}`,
    (e: unknown) => ({ rejected: e }),
  );
  // abort once the request is running on the model
  for (let i = 0; i < 200; i++) {
    const m = await (await fetch(`${server.base}/metrics`)).text();
    if (new RegExp(`hearth_active_requests\\{model="${model}"\\} 1`).test(m)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  ac.abort();
  const got = await pending;
  assert.ok(typeof got === "object", typeof got === "string" ? got : "");
  let metrics = "";
  for (let i = 0; i < 100 && !/hearth_requests_aborted_total\{model="[^"]+"\} 1/.test(metrics); i++) {
    await new Promise((r) => setTimeout(r, 200));
    metrics = await (await fetch(`${server.base}/metrics`)).text();
  }
  assert.match(metrics, new RegExp(`hearth_requests_aborted_total\\{model="${model}"\\} 1`));
  const ok = await postJson(server.base, "/v1/images/generations", { model, prompt: "x", steps: 1 });
  assert.equal(ok.status, 200);
});

test("fuzz: malformed bodies never get a 5xx", async () => {
  const weird: unknown[] = [null, true, -1, 1.5, 1e308, "", "x".repeat(5000), [], {}, [1], { a: 1 }, "1e999", "NaN", -0];
  const fields = [
    "model",
    "prompt",
    "n",
    "size",
    "response_format",
    "negative_prompt",
    "steps",
    "guidance_scale",
    "seed",
    "image",
    "strength",
  ];
  let seed = 1;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < 150; i++) {
    const body: Record<string, unknown> = { model, prompt: "x", steps: 1, size: "8x8" };
    for (let k = 0; k < 1 + (i % 3); k++) body[fields[Math.floor(rnd() * fields.length)]] = weird[Math.floor(rnd() * weird.length)];
    const route = i % 2 ? "/v1/images/generations" : "/v1/images/edits";
    const r = await postJson(server.base, route, i % 17 === 0 ? "{not json" : body);
    assert.ok(r.status < 500, `${route} ${JSON.stringify(body)} -> ${r.status} ${r.text}`);
  }
  const ok = await postJson(server.base, "/v1/images/generations", { model, prompt: "x", steps: 1 });
  assert.equal(ok.status, 200);
});

test("/v1/models lists the image model; /docs lists both routes", async () => {
  const models = await server.client.models.list();
  assert.ok(
    models.data.some((m) => m.id === model),
    JSON.stringify(models.data),
  );
  const r = await fetch(`${server.base}/docs/json`);
  const spec = (await r.json()) as { paths: Record<string, unknown> };
  assert.ok(spec.paths["/v1/images/generations"]);
  assert.ok(spec.paths["/v1/images/edits"]);
});
