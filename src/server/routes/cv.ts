// POST /v1/cv: computer vision on a served model (OCR, object detection). A Fastify plugin the
// server mounts with its RouteContext; the model runs through the model manager like any other.
//
// Request, either JSON:
//   { "model": "ocr", "image": "data:image/png;base64,...", "task"?: "ocr" | "detect",
//     "score_threshold"?: 0.25, "iou_threshold"?: 0.45 }
// or multipart/form-data with the image as the `image` (or `file`) part and the other fields as
// text parts. `image` may be an http(s) URL only when the server allows remote media.
//
// Response (one shape for every CV task; the task's own field is present):
//   { "object": "cv.result", "model": "ocr", "task": "ocr", "width": 760, "height": 200,
//     "text": "line 1\nline 2",                                                     (ocr)
//     "lines": [{ "text": "...", "confidence": 0.99, "box": [[x,y],[x,y],[x,y],[x,y]] }],  (ocr)
//     "detections": [{ "label": "cat", "class_id": 0, "score": 0.91, "box": [x1,y1,x2,y2] }], (detect)
//     "profile": { "total_ms": 212.4, "device": "onnx/cpu" } }
// Boxes are in source-image pixels; quads run clockwise from the top-left corner.
import type { FastifyInstance } from "fastify";
import multipart from "@fastify/multipart";
import type { DetectResult, OcrResult } from "../../model/tasks/cv.ts";
import type { TaskRequest } from "../../model/task.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { readMediaSource } from "../../sdk/mediaInput.ts";
import type { RouteContext } from "../context.ts";
import { noteRequest } from "../requestNote.ts";
import { disconnectSignal } from "../disconnect.ts";
import { runToResult } from "../generation.ts";
import { badParam } from "../errors.ts";
import { formLimits, readForm } from "../multipartForm.ts";
import { CV_TASKS, cvSchema } from "../schemas/cv.ts";

type CvTask = (typeof CV_TASKS)[number];

interface CvRequest {
  model: string;
  image: Uint8Array;
  task?: CvTask;
  scoreThreshold?: number;
  iouThreshold?: number;
}

/** The body after the schema: JSON, or a form whose image file the form reader put under `image`. */
interface CvBody {
  model: string;
  image?: string | Buffer | Record<string, unknown>;
  task?: CvTask | "" | null;
  score_threshold?: number | string | null;
  iou_threshold?: number | string | null;
}

export interface CvRoutesOptions {
  /** largest accepted upload (default 50 MiB) */
  maxUploadBytes?: number;
}

function fraction(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0 || n > 1)
    throw badParam(name, `\`${name}\` must be a number from 0 to 1, got ${JSON.stringify(v)}`, `e.g. "${name}": 0.5`);
  return n;
}

async function imageFrom(value: unknown, allowRemote: boolean): Promise<Uint8Array> {
  if (Buffer.isBuffer(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value !== "string" || !value)
    throw badParam("image", "no `image` in the request", "send the image as a data: URI (data:image/png;base64,...)");
  if (!value.startsWith("data:") && !/^https?:\/\//i.test(value)) {
    // never a path: the server does not open files on its disk because a client named them
    throw badParam("image", "`image` must be a data: URI", "send data:image/png;base64,<bytes>, or upload it as multipart `image`");
  }
  return (await readMediaSource(value, { allowRemote })).data;
}

async function parseRequest(body: CvBody, ctx: RouteContext): Promise<CvRequest> {
  return {
    model: body.model,
    image: await imageFrom(body.image, ctx.allowRemoteMedia),
    task: body.task || undefined,
    scoreThreshold: fraction("score_threshold", body.score_threshold),
    iouThreshold: fraction("iou_threshold", body.iou_threshold),
  };
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** The wire shape (snake_case) of a CV result. */
export function cvResponse(model: string, task: CvTask, r: OcrResult | DetectResult) {
  const base = { object: "cv.result", model, task, width: r.width, height: r.height };
  const profile = { total_ms: round(r.profile.totalMs, 1), device: r.profile.device ?? null };
  if ("lines" in r) {
    return {
      ...base,
      text: r.lines.map((l) => l.text).join("\n"),
      lines: r.lines.map((l) => ({ text: l.text, confidence: round(l.confidence, 4), box: l.box })),
      profile,
    };
  }
  return {
    ...base,
    detections: r.detections.map((d) => ({ label: d.label, class_id: d.classId, score: round(d.score, 4), box: d.box })),
    profile,
  };
}

export async function cvRoutes(app: FastifyInstance, ctx: RouteContext & CvRoutesOptions) {
  const maxBytes = ctx.maxUploadBytes ?? 50 * 1024 * 1024;
  await app.register(multipart, { limits: formLimits(maxBytes) });

  app.post(
    "/v1/cv",
    {
      schema: cvSchema,
      preValidation: readForm({ files: { image: "image", file: "image" }, maxFileBytes: maxBytes }),
    },
    async (req, reply) => {
      const body = req.body as CvBody;
      noteRequest(req, { model: body.model });
      const r = await parseRequest(body, ctx);
      const signal = disconnectSignal(reply);
      const lease = await ctx.manager.acquire(r.model, r.task, signal);
      const task = r.task ?? CV_TASKS.find((t) => lease.info.tasks.includes(t));
      if (!task) {
        lease.release();
        throw new HearthError("unsupported_task", `model "${r.model}" is not a vision model (it does ${lease.info.tasks.join(", ")})`, {
          hint: 'name a CV model, e.g. "ocr"',
        });
      }
      const request: TaskRequest =
        task === "ocr"
          ? { task: "ocr", image: r.image }
          : { task: "detect", image: r.image, scoreThreshold: r.scoreThreshold, iouThreshold: r.iouThreshold };
      const result = await runToResult(lease, request, signal, ctx.metrics);
      return reply.send(cvResponse(r.model, task, result as OcrResult | DetectResult));
    },
  );
}
