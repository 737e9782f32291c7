// The text of generated tokens as they come, in whole characters: a token may end partway through a
// character's UTF-8 bytes, and its text then waits for the tokens that complete it.
import type { LlamaModel, Token } from "node-llama-cpp";

const INCOMPLETE = "\uFFFD";
/** a UTF-8 character spans at most 4 bytes, so at most 3 tokens wait for the rest of one */
const MAX_WAITING = 3;

export class TokenText {
  private readonly tokens: Token[] = [];
  /** tokens whose text was given out */
  private done = 0;

  /** `before`: the tokens the generation continues (their last few set the first piece's spacing) */
  constructor(
    private readonly model: LlamaModel,
    private readonly before: readonly Token[],
  ) {}

  /** The text the token completes (may be empty while a character is incomplete). */
  push(token: Token): string {
    this.tokens.push(token);
    const waiting = this.tokens.length - this.done;
    const piece = this.pending();
    if (piece.endsWith(INCOMPLETE) && waiting <= MAX_WAITING) return "";
    return this.take(piece);
  }

  /** Whatever is still waiting, less a last character left incomplete (as node-llama-cpp's
   * completion leaves it out when the token limit cuts one). */
  flush(): string {
    if (this.done >= this.tokens.length) return "";
    const piece = this.pending();
    return this.take(piece.endsWith(INCOMPLETE) ? piece.replace(/\uFFFD+$/u, "") : piece);
  }

  private pending(): string {
    const context =
      this.done >= 4
        ? this.tokens.slice(this.done - 4, this.done)
        : [...this.before.slice(-4), ...this.tokens.slice(0, this.done)].slice(-4);
    return this.model.detokenize(this.tokens.slice(this.done), false, context);
  }

  private take(piece: string): string {
    this.done = this.tokens.length;
    return piece;
  }
}
