// Schemas of the audio routes: POST /v1/audio/transcriptions and /v1/audio/diarize (multipart forms,
// read into the body by multipartForm.ts before these validate it) and POST /v1/audio/speech (JSON).
// Text fields of a form arrive as strings; the file as bytes (an object here).
import { errorResponse, modelField } from "./common.ts";

/** An uploaded file as the form reader leaves it (bytes). */
const uploadField = (description: string) => ({ type: "object", description: `${description} (a multipart file part)` }) as const;

export const TRANSCRIPT_FORMATS = ["json", "text", "srt", "vtt", "verbose_json"] as const;

/** A multipart route that takes a recording as `file`, a `model`, and the route's own text fields. */
function recordingForm<P extends Record<string, unknown>>(summary: string, tags: string[], properties: P) {
  return {
    summary,
    tags,
    consumes: ["multipart/form-data"],
    body: {
      type: "object",
      required: ["model", "file"],
      properties: { model: modelField, file: uploadField("the recording: WAV, MP3, FLAC or OGG"), ...properties },
    },
    response: { "4xx": errorResponse, "5xx": errorResponse },
  } as const;
}

export const transcriptionSchema = recordingForm("Transcribe audio (OpenAI compatible)", ["openai", "audio"], {
  language: { type: "string", maxLength: 32, description: "ISO 639-1 code or the language's English name; empty or absent: detect" },
  prompt: { type: "string", maxLength: 100_000, description: "text that conditions the decoder (names, spelling)" },
  response_format: { enum: [...TRANSCRIPT_FORMATS, ""] },
  temperature: { type: "string", maxLength: 32, description: "accepted and ignored" },
});

export const diarizeSchema = recordingForm("Who spoke when (speaker diarization)", ["audio"], {
  num_speakers: { type: "string", maxLength: 16, description: "how many speakers, when known (1 to 100); absent: found by clustering" },
});

export const SPEECH_FORMATS = ["wav", "pcm"] as const;
export const SPEECH_STREAM_FORMATS = ["audio", "sse"] as const;

export const speechSchema = {
  summary: "Synthesise speech (OpenAI compatible)",
  tags: ["openai", "audio"],
  body: {
    type: "object",
    required: ["model", "input"],
    properties: {
      model: modelField,
      input: { type: "string", description: "the text to speak" },
      voice: { type: ["string", "null"], maxLength: 256, description: "one of the model's voices (any case) or its number" },
      speed: { type: ["number", "null"], minimum: 0.25, maximum: 4, description: "1 is normal speed" },
      response_format: { enum: [...SPEECH_FORMATS, null] },
      stream_format: { enum: [...SPEECH_STREAM_FORMATS, null] },
      instructions: { type: ["string", "null"], description: "accepted and ignored" },
    },
  },
  response: { "4xx": errorResponse, "5xx": errorResponse },
} as const;
