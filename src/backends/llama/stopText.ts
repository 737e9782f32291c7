// Streamed text up to the first stop string: text that could be the start of a stop string waits
// until what follows rules that out, so no part of a stop string is ever streamed.
export class StopText {
  private held = "";
  /** a stop string was found: nothing more is given out */
  stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  /** The text that is safe to stream once `piece` is added. */
  push(piece: string): string {
    if (this.stopped) return "";
    this.held += piece;
    let at = -1;
    for (const stop of this.stops) {
      const i = this.held.indexOf(stop);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) {
      this.stopped = true;
      const out = this.held.slice(0, at);
      this.held = "";
      return out;
    }
    const keep = this.partialStop();
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return out;
  }

  /** What is still held at the end of the generation (no stop string came). */
  flush(): string {
    const out = this.stopped ? "" : this.held;
    this.held = "";
    return out;
  }

  /** The length of the longest end of the held text that begins a stop string. */
  private partialStop(): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.held.length); n > best; n--) {
        if (this.held.endsWith(stop.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
