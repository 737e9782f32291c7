// CLIP's byte-level BPE, from the vocab.json + merges.txt that diffusers ships in tokenizer/ (most
// exports have no tokenizer.json): the fast tokenizer's definition is rebuilt here and run by
// @huggingface/tokenizers (pure JS, no network). Prompts are padded or cut to the encoder's 77
// tokens, as diffusers does; a cut is reported so the caller can warn.
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";
import { HearthError } from "../../errors/HearthError.ts";

export interface ClipTokens {
  ids: number[];
  /** the prompt had more tokens than fit, and was cut */
  truncated: boolean;
}

export interface ClipTokenizerFiles {
  vocab?: string;
  merges?: string;
  config?: string;
  special?: string;
}

const BOS = "<|startoftext|>";
const EOS = "<|endoftext|>";

function readJson(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function tokenText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as { content?: unknown }).content === "string") return (v as { content: string }).content;
  return undefined;
}

export class ClipTokenizer {
  private readonly tokenizer: Tokenizer;
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;

  constructor(
    files: ClipTokenizerFiles,
    readonly maxLength = 77,
  ) {
    if (!files.vocab || !files.merges) {
      throw new HearthError("model_not_found", "the tokenizer's vocab.json or merges.txt is missing", {
        hint: "re-pull the model: a diffusers export has tokenizer/vocab.json and tokenizer/merges.txt",
      });
    }
    const vocab = JSON.parse(readFileSync(files.vocab, "utf8")) as Record<string, number>;
    const merges = readFileSync(files.merges, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#version"));
    const config = readJson(files.config);
    const special = readJson(files.special);
    const id = (t: string | undefined, fallback: string) => vocab[t ?? fallback] ?? vocab[fallback];
    this.bos = id(tokenText(config.bos_token ?? special.bos_token), BOS);
    this.eos = id(tokenText(config.eos_token ?? special.eos_token), EOS);
    // SD 1.x pads with <|endoftext|>, SD 2.x and SDXL's second encoder with "!"
    this.pad = id(tokenText(config.pad_token ?? special.pad_token), EOS);
    if (this.bos === undefined || this.eos === undefined) {
      throw new HearthError("unsupported_architecture", `the tokenizer's vocabulary has no ${BOS} / ${EOS}`, {
        hint: "this is not a CLIP tokenizer",
      });
    }
    const added = [BOS, EOS].map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    }));
    this.tokenizer = new Tokenizer(
      {
        added_tokens: added,
        normalizer: {
          type: "Sequence",
          normalizers: [{ type: "NFC" }, { type: "Replace", pattern: { Regex: "\\s+" }, content: " " }, { type: "Lowercase" }],
        },
        pre_tokenizer: {
          type: "Sequence",
          pretokenizers: [
            {
              type: "Split",
              pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
              behavior: "Removed",
              invert: true,
            },
            { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
          ],
        },
        post_processor: null,
        decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
        model: {
          type: "BPE",
          dropout: null,
          unk_token: EOS,
          continuing_subword_prefix: "",
          end_of_word_suffix: "</w>",
          fuse_unk: false,
          vocab,
          merges,
        },
      },
      { model_max_length: maxLength },
    );
  }

  /** The prompt's token ids without BOS/EOS. */
  tokens(text: string): number[] {
    return this.tokenizer.encode(text.trim(), { add_special_tokens: false }).ids;
  }

  /** BOS, the prompt, EOS, padded to maxLength; cut (EOS kept last) when too long. */
  encode(text: string): ClipTokens {
    const body = this.tokens(text);
    const room = this.maxLength - 2;
    const truncated = body.length > room;
    const ids = [this.bos, ...body.slice(0, room), this.eos];
    while (ids.length < this.maxLength) ids.push(this.pad);
    return { ids, truncated };
  }
}
