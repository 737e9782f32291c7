// Schema of POST /v1/cv: JSON with the image as a data: URI, or a multipart form with the image as a
// file part (read into the body as bytes by multipartForm.ts). Form fields arrive as strings, so the
// thresholds may be strings; the route checks their range.
import { errorResponse, modelField } from "./common.ts";

export const CV_TASKS = ["ocr", "detect"] as const;

const threshold = (description: string) => ({ type: ["number", "string", "null"], maxLength: 32, description }) as const;

export const cvSchema = {
  summary: "Computer vision: OCR or object detection",
  tags: ["cv"],
  consumes: ["application/json", "multipart/form-data"],
  body: {
    type: "object",
    required: ["model"],
    properties: {
      model: modelField,
      image: {
        type: ["string", "object"],
        description: "a data: URI (or http(s) URL when the server allows remote media), or a file part",
      },
      task: { enum: [...CV_TASKS, "", null], description: "default: what the model does" },
      score_threshold: threshold("0 to 1 (detection, default 0.25)"),
      iou_threshold: threshold("0 to 1 (detection, default 0.45)"),
    },
  },
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;
