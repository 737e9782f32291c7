// POST /v1/images/generations and POST /v1/images/edits in OpenAI's shape, on a served
// image-generation model (a Stable Diffusion pipeline). A Fastify plugin mounted with the
// RouteContext; each image runs as one "image" task through the leased model.
//
// Generations (JSON): { "model", "prompt", "n"?: 1..4, "size"?: "512x512",
//   "response_format"?: "b64_json", and hearth's extensions "negative_prompt", "steps",
//   "guidance_scale", "seed" }. Images are only returned inline: "url" is refused with a 400 (a local
// server keeps no image store to link to).
// Edits (image-to-image): multipart/form-data with the `image` file part (or `image[]`) and the same
// fields as text parts plus "strength" (0 keeps the input, 1 replaces it); or JSON with `image` as a
// data: URI. A `mask` (inpainting) is refused: these pipelines do not inpaint.
//
// Response: { "created": 1700000000, "data": [{ "b64_json": "...", "revised_prompt": null }],
//   "hearth": { "seeds": [7], "profile": { "steps", "ms_per_step", "total_ms", "peak_rss_bytes", "device" } } }
import type { FastifyInstance, FastifyRequest } from "fastify";
import multipart from "@fastify/multipart";
import type { ImageRequest, ImageResult } from "../../model/tasks/image.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readMediaSource } from "../../sdk/mediaInput.ts";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runToResult } from "../generation.ts";
import { badParam } from "../errors.ts";
import { errorResponse, modelField } from "../schemas/common.ts";

/** most images one request may ask for */
export const MAX_IMAGES_PER_REQUEST = 4;

export interface ImageRoutesOptions {
  /** largest accepted upload (default 50 MiB) */
  maxUploadBytes?: number;
}

const nullable = (s: Record<string, unknown>) => ({ ...s, type: [s.type as string, "null"] });

const imageFields = {
  model: modelField,
  prompt: { type: "string", maxLength: 100_000, description: "what to draw" },
  n: nullable({ type: "integer", description: `images to make (1 to ${MAX_IMAGES_PER_REQUEST}; the seeds count up from seed)` }),
  size: nullable({
    type: "string",
    maxLength: 32,
    description: "WIDTHxHEIGHT in pixels, multiples of 8 (default: the model's native size)",
  }),
  response_format: nullable({ type: "string", maxLength: 32, description: "b64_json (the only form served)" }),
  negative_prompt: nullable({ type: "string", maxLength: 100_000, description: "extension: what the image should not show" }),
  steps: nullable({ type: "integer", description: "extension: denoising steps" }),
  guidance_scale: nullable({ type: "number", description: "extension: classifier-free guidance (0 for Turbo/LCM models)" }),
  seed: nullable({ type: "integer", description: "extension: same seed, same image on the same engine and device" }),
  user: { type: "string" },
} as const;

export const imageGenerationsSchema = {
  summary: "Create images from a prompt (OpenAI compatible; Stable Diffusion pipelines)",
  tags: ["openai"],
  body: { type: "object", required: ["model", "prompt"], properties: imageFields },
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;

export const imageEditsSchema = {
  summary: "Image-to-image from an uploaded image and a prompt (OpenAI compatible, multipart/form-data or JSON with a data: URI)",
  tags: ["openai"],
  consumes: ["multipart/form-data", "application/json"],
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;

interface Parsed {
  model: string;
  n: number;
  base: Omit<ImageRequest, "seed">;
  seed?: number;
}

/** A number field that may arrive as text (multipart). */
function num(raw: Record<string, unknown>, name: string, check: (v: number) => boolean, what: string, example: string): number | undefined {
  const v = raw[name];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || !check(n))
    throw badParam(name, `\`${name}\` must be ${what}, got ${JSON.stringify(v)}`, `e.g. "${name}": ${example}`);
  return n;
}

function parseFields(raw: Record<string, unknown>, image?: Uint8Array): Parsed {
  if (typeof raw.model !== "string" || !raw.model)
    throw badParam("model", "no `model` in the request", "name an image model from GET /v1/models");
  if (typeof raw.prompt !== "string" || !raw.prompt.trim())
    throw badParam("prompt", "no `prompt` in the request", 'e.g. "prompt": "a red fox in the snow"');
  const format = raw.response_format ?? "b64_json";
  if (format === "url")
    throw badParam(
      "response_format",
      '`response_format: "url"` is not served: a local server keeps no image store to link to',
      'ask for "b64_json" and decode the base64 PNG',
    );
  if (format !== "b64_json") throw badParam("response_format", `unknown response_format ${JSON.stringify(format)}`, 'use "b64_json"');
  const n =
    num(
      raw,
      "n",
      (v) => Number.isInteger(v) && v >= 1 && v <= MAX_IMAGES_PER_REQUEST,
      `a whole number from 1 to ${MAX_IMAGES_PER_REQUEST}`,
      "1",
    ) ?? 1;
  let width: number | undefined;
  let height: number | undefined;
  if (raw.size !== undefined && raw.size !== null && raw.size !== "" && raw.size !== "auto") {
    const m = typeof raw.size === "string" ? /^(\d{1,5})x(\d{1,5})$/.exec(raw.size) : null;
    if (!m) throw badParam("size", `\`size\` must be WIDTHxHEIGHT, got ${JSON.stringify(raw.size)}`, 'e.g. "size": "512x512"');
    width = Number(m[1]);
    height = Number(m[2]);
  }
  if (raw.mask !== undefined)
    throw badParam(
      "mask",
      "masks (inpainting) are not supported: these pipelines redraw the whole image",
      "leave out `mask`; use `strength` for how much changes",
    );
  const steps = num(raw, "steps", (v) => Number.isInteger(v) && v >= 1 && v <= 10000, "a whole number from 1", "4");
  const guidance = num(raw, "guidance_scale", (v) => v >= 0 && v <= 50, "a number from 0 to 50", "7.5");
  const seed = num(raw, "seed", (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, "a whole number from 0 to 4294967295", "7");
  const strength = num(raw, "strength", (v) => v >= 0 && v <= 1, "a number from 0 to 1", "0.75");
  const negative = raw.negative_prompt;
  if (negative !== undefined && negative !== null && typeof negative !== "string")
    throw badParam("negative_prompt", "`negative_prompt` must be text", 'e.g. "negative_prompt": "blurry"');
  return {
    model: raw.model,
    n,
    seed,
    base: {
      task: "image",
      prompt: raw.prompt,
      negativePrompt: (negative as string | null | undefined) ?? undefined,
      width,
      height,
      steps,
      guidance,
      image,
      strength: image ? strength : undefined,
    },
  };
}

async function imageFrom(value: unknown, allowRemote: boolean): Promise<Uint8Array> {
  if (typeof value !== "string" || !value)
    throw badParam("image", "no `image` in the request", "upload it as the multipart `image` part, or send a data: URI");
  if (!value.startsWith("data:") && !/^https?:\/\//i.test(value)) {
    // never a path: the server does not open files on its disk because a client named them
    throw badParam("image", "`image` must be a data: URI", "send data:image/png;base64,<bytes>, or upload it as multipart `image`");
  }
  return (await readMediaSource(value, { allowRemote })).data;
}

async function parseEdit(req: FastifyRequest, ctx: RouteContext, maxBytes: number): Promise<Parsed> {
  if (req.isMultipart()) {
    const raw: Record<string, unknown> = {};
    let image: Uint8Array | undefined;
    for await (const part of req.parts()) {
      if (part.type === "file") {
        let buf: Buffer;
        try {
          buf = await part.toBuffer();
        } catch {
          throw badParam(part.fieldname, `the upload is larger than ${(maxBytes / 2 ** 20).toFixed(0)} MiB`, "send a smaller image");
        }
        if (part.fieldname === "image" || part.fieldname === "image[]")
          image ??= new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
        else if (part.fieldname === "mask") raw.mask = true;
      } else {
        raw[part.fieldname] = part.value;
      }
    }
    return parseFields(raw, image ?? (await imageFrom(raw.image, ctx.allowRemoteMedia)));
  }
  const body = req.body;
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new HearthError("bad_input", "the request body must be multipart/form-data or a JSON object", {
      hint: "upload the image as the `image` part with `model` and `prompt`",
    });
  }
  const raw = body as Record<string, unknown>;
  return parseFields(raw, await imageFrom(raw.image, ctx.allowRemoteMedia));
}

function imagesResponse(results: ImageResult[]) {
  const p = results[results.length - 1].profile;
  return {
    created: Math.floor(Date.now() / 1000),
    data: results.map((r) => ({ b64_json: Buffer.from(r.png).toString("base64"), revised_prompt: null })),
    hearth: {
      seeds: results.map((r) => r.seed),
      truncated_prompt: results.some((r) => r.truncated),
      profile: {
        steps: p.steps,
        ms_per_step: Math.round(p.msPerStep * 10) / 10,
        total_ms: Math.round(results.reduce((s, r) => s + r.profile.totalMs, 0)),
        peak_rss_bytes: p.peakRssBytes,
        device: p.device ?? null,
      },
    },
  };
}

async function generate(ctx: RouteContext, req: FastifyRequest, reply: Parameters<typeof disconnectSignal>[0], r: Parsed) {
  noteRequest(req, { model: r.model });
  const signal = disconnectSignal(reply);
  const results: ImageResult[] = [];
  // the seed named, else the server's (--seed), else a random one; then counting up, so each of n
  // images differs and can be redone
  let first = r.seed;
  for (let i = 0; i < r.n; i++) {
    const lease = await ctx.manager.acquire(r.model, "image", signal);
    first ??= lease.seed ?? Math.floor(Math.random() * 2 ** 31);
    results.push(await runToResult(lease, { ...r.base, seed: (first + i) >>> 0 }, signal, ctx.metrics));
  }
  return imagesResponse(results);
}

export async function imageRoutes(app: FastifyInstance, ctx: RouteContext & ImageRoutesOptions) {
  const maxBytes = ctx.maxUploadBytes ?? 50 * 1024 * 1024;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 2, fields: 32 } });

  app.post("/v1/images/generations", { schema: imageGenerationsSchema }, async (req, reply) => {
    const r = parseFields(req.body as Record<string, unknown>);
    return reply.send(await generate(ctx, req, reply, r));
  });

  app.post("/v1/images/edits", { schema: imageEditsSchema }, async (req, reply) => {
    const r = await parseEdit(req, ctx, maxBytes);
    return reply.send(await generate(ctx, req, reply, r));
  });
}
