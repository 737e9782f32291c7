// How a streamed answer looks in the terminal: answer text as it comes, <think> reasoning dimmed
// (or hidden with --hide-think), tool calls on their own line, then one line of speed figures.
import pc from "picocolors";
import type { GenerationChunk, GenerationResult } from "../../sdk/types.ts";

export interface AnswerPrinterOptions {
  /** where answer text goes */
  out: NodeJS.WritableStream;
  /** where reasoning goes (the REPL: the same stream; scripts: stderr, so stdout holds only the answer) */
  reasoningOut?: NodeJS.WritableStream;
  hideThink?: boolean;
  /** a terminal: control characters in model output are dropped, so an answer cannot move the
   * cursor, clear the screen or retitle the window with escape sequences */
  terminal?: boolean;
}

// C0 controls except tab and newline, DEL, and C1 controls
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are stripped from model output
const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Prints one answer's chunks; `end()` closes an open think block and the line. */
export class AnswerPrinter {
  private inThink = false;
  private atLineStart = true;
  private wroteAnything = false;

  constructor(private options: AnswerPrinterOptions) {}

  private write(stream: NodeJS.WritableStream, s: string, raw = s): void {
    if (!raw) return;
    stream.write(s);
    this.wroteAnything = true;
    if (stream === this.options.out) this.atLineStart = raw.endsWith("\n");
  }

  chunk(c: GenerationChunk): void {
    const out = this.options.out;
    if (this.options.terminal && c.type !== "tool_call") c = { type: c.type, text: c.text.replace(CONTROL_CHARS, "") };
    if (c.type === "reasoning") {
      if (this.options.hideThink) return;
      const r = this.options.reasoningOut ?? out;
      // the tags stay visible even without colour, so reasoning is never mistaken for the answer
      if (!this.inThink) this.write(r, pc.dim("<think>"), "<think>");
      this.inThink = true;
      this.write(r, pc.dim(c.text), c.text);
      return;
    }
    this.closeThink();
    if (c.type === "text") this.write(out, c.text);
    else {
      if (!this.atLineStart) this.write(out, "\n");
      this.write(out, `${pc.cyan("tool call")} ${c.call.name} ${c.call.arguments}\n`, "\n");
    }
  }

  private closeThink(): void {
    if (!this.inThink) return;
    const r = this.options.reasoningOut ?? this.options.out;
    this.write(r, pc.dim("</think>\n"), "</think>\n");
    this.inThink = false;
  }

  /** Ends the answer with a newline (if it printed anything that did not end one). */
  end(): void {
    this.closeThink();
    if (this.wroteAnything && !this.atLineStart) this.write(this.options.out, "\n");
  }
}

function fixed(n: number | undefined, digits: number): string {
  return n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(digits);
}

/** The line after each answer: decode speed, tokens, time to first token (and why it stopped early). */
export function profileLine(r: Pick<GenerationResult, "profile" | "usage" | "finishReason">): string {
  const p = r.profile;
  const tokens = p.generatedTokens ?? r.usage.completionTokens;
  const parts = [
    `${fixed(p.decodeTokensPerSec, 1)} tok/s`,
    `${tokens} token${tokens === 1 ? "" : "s"}`,
    `first token ${fixed(p.ttftMs, 0)} ms`,
  ];
  if (p.prefillTokensPerSec !== undefined)
    parts.push(`prompt ${p.promptTokens ?? r.usage.promptTokens} tokens at ${fixed(p.prefillTokensPerSec, 0)} tok/s`);
  if (r.finishReason === "length") parts.push("stopped at the token limit");
  if (r.finishReason === "abort") parts.push("stopped");
  return parts.join(" · ");
}
