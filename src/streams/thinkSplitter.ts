// Keeps a <think>…</think> block at the start of an answer apart from the answer, as it streams.
// node-llama-cpp does this itself for the chat templates it knows (Qwen, DeepSeek, …: "thought"
// segments); this covers the rest (generic Jinja templates), where the block arrives as plain text.
export type Piece = { type: "text" | "reasoning"; text: string };

const OPEN = "<think>";
const CLOSE = "</think>";

/** Length of the longest end of `s` that is a start of `tag` (a tag that may still be arriving). */
function partialTagAtEnd(s: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, s.length); n > 0; n--) if (tag.startsWith(s.slice(-n))) return n;
  return 0;
}

export class ThinkSplitter {
  private state: "start" | "afterOpen" | "thinking" | "afterThink" | "answer" = "start";
  private buf = "";
  text = "";
  reasoning = "";

  push(chunk: string): Piece[] {
    this.buf += chunk;
    const out: Piece[] = [];
    for (;;) {
      if (this.state === "start") {
        const t = this.buf.trimStart();
        if (t.length < OPEN.length && OPEN.startsWith(t)) break; // may still become <think>
        if (t.startsWith(OPEN)) {
          this.buf = t.slice(OPEN.length);
          this.state = "afterOpen";
          continue;
        }
        this.state = "answer";
        continue;
      }
      if (this.state === "afterOpen") {
        // the newline after <think> belongs to the tag
        if (!this.buf) break;
        if (this.buf.startsWith("\n")) this.buf = this.buf.slice(1);
        this.state = "thinking";
        continue;
      }
      if (this.state === "thinking") {
        const at = this.buf.indexOf(CLOSE);
        if (at >= 0) {
          this.emit(out, "reasoning", this.buf.slice(0, at).replace(/\n$/, ""));
          this.buf = this.buf.slice(at + CLOSE.length);
          this.state = "afterThink";
          continue;
        }
        // hold back what may be the start of "\n</think>" (the newline before the tag is not reasoning)
        const hold = Math.max(partialTagAtEnd(this.buf, `\n${CLOSE}`), partialTagAtEnd(this.buf, CLOSE));
        this.emit(out, "reasoning", this.buf.slice(0, this.buf.length - hold));
        this.buf = this.buf.slice(this.buf.length - hold);
        break;
      }
      if (this.state === "afterThink") {
        // the blank line after </think> belongs to neither part
        const t = this.buf.trimStart();
        if (!t) break;
        this.buf = t;
        this.state = "answer";
        continue;
      }
      this.emit(out, "text", this.buf);
      this.buf = "";
      break;
    }
    return out;
  }

  /** The end of the stream: whatever is held back is released. */
  flush(): Piece[] {
    const out: Piece[] = [];
    if (this.state === "thinking" || this.state === "afterOpen") this.emit(out, "reasoning", this.buf);
    else if (this.state !== "afterThink") this.emit(out, "text", this.buf);
    this.buf = "";
    return out;
  }

  private emit(out: Piece[], type: Piece["type"], text: string) {
    if (!text) return;
    if (type === "text") this.text += text;
    else this.reasoning += text;
    out.push({ type, text });
  }
}
