// The keyboard stream between the terminal and readline. It does two things readline does not:
//  - bracketed paste: the terminal wraps pasted text in ESC[200~ ... ESC[201~; newlines inside are
//    turned into PASTE_NEWLINE so a multi-line paste is one input, not one turn per line;
//  - while an answer streams ("busy"), keys are not echoed into the answer; Ctrl-C calls
//    onInterrupt (the REPL aborts the answer) and everything else is dropped.
import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** Stands for a newline inside pasted text while it is being edited; turned back on submit. */
export const PASTE_NEWLINE = "\u21b5";
export const PASTE_START = "\x1b[200~";
export const PASTE_END = "\x1b[201~";
/** Asks the terminal to bracket pastes / to stop doing so. */
export const ENABLE_BRACKETED_PASTE = "\x1b[?2004h";
export const DISABLE_BRACKETED_PASTE = "\x1b[?2004l";

const CTRL_C = "\x03";
// an escape sequence cut at the end of a chunk, which may be the start of a paste marker
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the terminal escape sequence matched here
const PARTIAL_MARKER = /\x1b\[(?:2(?:0(?:[01])?)?)?$/;

export class TerminalInput extends Transform {
  /** true while an answer streams */
  busy = false;
  readonly isTTY: boolean;
  onInterrupt?: () => void;
  private inPaste = false;
  private carry = "";
  private decoder = new StringDecoder("utf8");

  /** `terminal`: the real keyboard stream, whose raw mode readline switches through this one
   * (off for Ctrl-Z and on close, back on after) */
  constructor(private terminal?: { setRawMode?: (mode: boolean) => unknown; isTTY?: boolean }) {
    super();
    this.isTTY = terminal?.isTTY === true;
  }

  setRawMode(mode: boolean): this {
    this.terminal?.setRawMode?.(mode);
    return this;
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    let s = this.carry + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    this.carry = "";
    const partial = PARTIAL_MARKER.exec(s);
    if (partial) {
      this.carry = partial[0];
      s = s.slice(0, partial.index);
    }
    let out = "";
    while (s.length > 0) {
      const marker = this.inPaste ? PASTE_END : PASTE_START;
      const at = s.indexOf(marker);
      const piece = at < 0 ? s : s.slice(0, at);
      out += this.inPaste ? piece.replace(/\r\n|\r|\n/g, PASTE_NEWLINE) : piece;
      if (at < 0) break;
      this.inPaste = !this.inPaste;
      s = s.slice(at + marker.length);
    }
    if (this.busy) {
      if (out.includes(CTRL_C)) this.onInterrupt?.();
      out = "";
    }
    if (out) this.push(out);
    done();
  }
}

/** A submitted line with pasted newlines restored. */
export function restorePastedNewlines(line: string): string {
  return line.split(PASTE_NEWLINE).join("\n").replace(/\n+$/, "");
}
