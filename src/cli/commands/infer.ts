// `hearth infer <model>`: runs a model for what it is. A chat model chats (interactive on a
// terminal, one turn per prompt otherwise); an embedding model embeds; a reranker ranks; a speech
// model transcribes. The dispatch is the table below: one entry per model type.
import type { Command } from "commander";
import type { CommandModule } from "../command.ts";
import type { ModelType } from "../../model/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import {
  addLoadOptions,
  addSamplingOptions,
  generateOptionsFrom,
  loadOptionsFrom,
  numberFlag,
  type LoadFlags,
  type SamplingFlags,
} from "../infer/options.ts";
import { allPrompts } from "../infer/prompts.ts";
import { toolOptionsFrom } from "../infer/toolFiles.ts";

export interface InferFlags extends LoadFlags, SamplingFlags {
  prompt?: string[];
  input?: string;
  system?: string;
  json?: boolean;
  hideThink?: boolean;
  mmproj?: string;
  query?: string;
  document?: string[];
  language?: string;
  vad?: boolean;
  /** chat: tool files the model may call, and how it must */
  tool?: string[];
  toolChoice?: string;
  /** speech synthesis: the voice and the speed (1 = normal) */
  voice?: string;
  speed?: number;
  /** diarization: how many speakers, and the speaker embedding model */
  numSpeakers?: number;
  embedding?: string;
  /** detection: lowest score kept, and the overlap that drops the weaker of two boxes */
  scoreThreshold?: number;
  iouThreshold?: number;
  /** vision: annotated image to write */
  output?: string;
  /** vision: the image arguments */
  images?: string[];
  /** image generation */
  size?: string;
  steps?: number;
  guidance?: number;
  negativePrompt?: string;
  strength?: number;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Texts for models that take a list (embedder, reranker): -i FILE or stdin lines, then the flags. */
async function textsFrom(flags: string[] | undefined, input: string | undefined): Promise<string[]> {
  const texts: string[] = [];
  const stdin = !flags?.length && !input && !process.stdin.isTTY;
  for await (const t of allPrompts({ prompts: flags, file: input, stdin })) texts.push(t);
  return texts;
}

type InferRunner = (ref: string, f: InferFlags) => Promise<void>;

// Runners are imported when used: `hearth --help` should not load engines, and one modality's
// code never loads another's.
/** What `infer` does for each model type; a new modality is one more entry. */
const runners: Partial<Record<ModelType, InferRunner>> = {
  llm: chat,
  vlm: chat,
  embedder: async (ref, f) => {
    const { runEmbedInfer } = await import("../infer/embed.ts");
    return runEmbedInfer(ref, { texts: await textsFrom(f.prompt, f.input), load: loadOptionsFrom(f), json: f.json });
  },
  reranker: async (ref, f) => {
    const { runRerankInfer } = await import("../infer/rerank.ts");
    return runRerankInfer(ref, { query: f.query, documents: await textsFrom(f.document, f.input), load: loadOptionsFrom(f), json: f.json });
  },
  asr: async (ref, f) => {
    if (!f.input) throw new HearthError("bad_input", "no audio to transcribe", { hint: "give one with -i FILE" });
    const { runAsrInfer } = await import("../infer/media.ts");
    return runAsrInfer(ref, { input: f.input, language: f.language, json: f.json, threads: f.threads, vad: f.vad });
  },
  tts: async (ref, f) => {
    const { runTtsInfer } = await import("../infer/tts.ts");
    return runTtsInfer(ref, {
      text: f.prompt?.join(" "),
      input: f.input,
      output: f.output,
      voice: f.voice,
      speed: f.speed,
      json: f.json,
      threads: f.threads,
    });
  },
  diarize: async (ref, f) => {
    const { runDiarizeInfer } = await import("../infer/diarize.ts");
    return runDiarizeInfer(ref, {
      input: f.input ?? "",
      numSpeakers: f.numSpeakers,
      embedding: f.embedding,
      json: f.json,
      threads: f.threads,
    });
  },
  cv: async (ref, f) => {
    const { runCvInfer } = await import("../infer/cv.ts");
    return runCvInfer(ref, {
      inputs: [...(f.input ? [f.input] : []), ...(f.images ?? [])],
      json: f.json,
      output: f.output,
      threads: f.threads,
      device: f.device as "cpu" | "gpu" | "npu" | "auto" | undefined,
      backend: f.backend,
      scoreThreshold: f.scoreThreshold,
      iouThreshold: f.iouThreshold,
    });
  },
  image_gen: async (ref, f) => {
    const { runImageInfer } = await import("../infer/image.ts");
    const image = [...(f.input ? [f.input] : []), ...(f.images ?? [])];
    if (image.length > 1) throw new HearthError("bad_input", "image-to-image takes one input image", { hint: "give one image path" });
    return runImageInfer(ref, {
      prompt: f.prompt?.join(" "),
      negativePrompt: f.negativePrompt,
      output: f.output,
      size: f.size,
      steps: f.steps,
      guidance: f.guidance,
      seed: f.seed,
      image: image[0],
      strength: f.strength,
      json: f.json,
      load: loadOptionsFrom(f),
    });
  },
};

async function chat(ref: string, f: InferFlags): Promise<void> {
  const { runChatInfer } = await import("../infer/chat.ts");
  return runChatInfer(ref, {
    load: loadOptionsFrom(f),
    mmproj: f.mmproj,
    generate: { ...generateOptionsFrom(f), ...toolOptionsFrom(f.tool, f.toolChoice) },
    // words after the model are a prompt, as `ollama run model "why is the sky blue?"` takes one
    // (an image path among them becomes an input where the model has a projector)
    prompts: f.images?.length ? [...(f.prompt ?? []), f.images.join(" ")] : f.prompt,
    input: f.input,
    system: f.system,
    json: f.json,
    hideThink: f.hideThink,
  });
}

export default {
  register(program: Command) {
    const cmd = program
      .command("infer")
      .description(
        "run a model: chat with an LLM (interactive on a terminal), embed texts, rank documents, transcribe, speak, diarize, read text in images (OCR), detect objects",
      )
      .argument("<model>", "store name (org/repo[:QUANT]), alias, or path to a model file")
      .argument(
        "[inputs...]",
        "a prompt for a chat model (hearth infer model why is the sky blue), images for a vision model (hearth infer ocr photo.png)",
      )
      .option(
        "-p, --prompt <text>",
        "a prompt; repeat for several turns of one conversation (texts to embed, for an embedding model)",
        collect,
      )
      .option(
        "-i, --input <file>",
        "prompts, one per line (a line ending in \\ goes on with the next; - is stdin); the audio file, for a speech model",
      )
      .option("-s, --system <text>", "system prompt")
      .option("--json", "one JSON line per turn: input, output, reasoning, tool_calls, profile, error")
      .option("--hide-think", "do not show <think> reasoning")
      .option("--mmproj <file>", "multimodal projector GGUF: image and audio paths typed in a prompt become inputs")
      .option("--query <text>", "reranker: the query")
      .option("--document <text>", "reranker: a document to rank (repeatable)", collect)
      .option("--tool <file>", "chat: a JSON file of tools the model may call (repeatable); calls are shown, not run", collect)
      .option("--tool-choice <choice>", "chat: auto, none, required, or a tool's name")
      .option("--language <code>", "speech: the spoken language (default: detect)")
      .option("--no-vad", "speech: do not cut silence before recognition")
      .option("--voice <name>", "speech synthesis: the voice (an unknown name lists the model's voices)")
      .option("--speed <n>", "speech synthesis: 1 is normal, 0.25 to 4", Number)
      .option("--num-speakers <n>", "diarization: how many speakers (default: found by clustering)", Number)
      .option("--embedding <file>", "diarization: the speaker embedding ONNX model, when not beside the segmentation model")
      .option(
        "--score-threshold <x>",
        "detection: lowest score kept, 0 to 1 (default 0.25)",
        numberFlag("--score-threshold", { min: 0, max: 1 }, "0.5"),
      )
      .option(
        "--iou-threshold <x>",
        "detection: overlap above which the weaker of two same-class boxes is dropped, 0 to 1 (default 0.45)",
        numberFlag("--iou-threshold", { min: 0, max: 1 }, "0.45"),
      )
      .option(
        "-o, --output <file>",
        "vision: write the image with the boxes drawn (PNG; a folder for several images); speech synthesis: the audio file (.wav, .pcm; - for stdout); image generation: the PNG",
      )
      .option("--size <WxH>", "image generation: width x height in pixels, multiples of 8 (default: the model's)")
      .option(
        "--steps <n>",
        "image generation: denoising steps (default 4 for Turbo/LCM models, 25 otherwise)",
        numberFlag("--steps", { integer: true, min: 1 }, "4"),
      )
      .option(
        "--guidance <x>",
        "image generation: classifier-free guidance (default 7.5; 0 for Turbo/LCM models)",
        numberFlag("--guidance", { min: 0 }, "7.5"),
      )
      .option("--negative-prompt <text>", "image generation: what the image should not show")
      .option(
        "--strength <x>",
        "image-to-image: 0 keeps the input image, 1 replaces it (default 0.75)",
        numberFlag("--strength", { min: 0, max: 1 }, "0.75"),
      );
    addLoadOptions(cmd);
    addSamplingOptions(cmd);
    cmd.addHelpText(
      "after",
      "\nOn a terminal with no -p / -i, infer starts an interactive chat (/help inside lists its commands).\n" +
        "Otherwise each prompt (-i FILE or stdin lines first, then each -p) is one turn of the same conversation;\n" +
        "answers go to stdout, reasoning and the speed line to stderr. Exit status 1 if a turn failed.",
    );
    cmd.action(async (ref: string, images: string[], flags: InferFlags) => {
      flags.images = images;
      // read --json-schema / --grammar now: a bad file should fail before a model loads
      generateOptionsFrom(flags);
      const { modelTypeOf } = await import("../infer/modelType.ts");
      const type = await modelTypeOf(ref, { mmproj: flags.mmproj });
      const run = runners[type];
      if (!run) {
        throw new HearthError("unsupported_task", `hearth infer cannot run ${type} models yet (${ref})`, {
          hint: `infer runs: ${Object.keys(runners).join(", ")}`,
        });
      }
      await run(ref, flags);
    });
  },
} satisfies CommandModule;
