// Drives a real terminal program through tmux: a private tmux server per session, keys sent with
// send-keys, pastes with paste-buffer -p (bracketed, as a terminal does), the screen read with
// capture-pane. The command runs under `sh -c` that prints "[exit N]" and waits, so the exit code
// and the last screen can be read after the program ends.
import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

let counter = 0;

export class TmuxSession {
  private socket = `hearth-test-${process.pid}-${counter++}`;
  private name = "t";

  private tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
  }

  constructor(command: string[], env: Record<string, string>, cwd: string) {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}=${quote(v)};`)
      .join(" ");
    const script = `cd ${quote(cwd)}; ${exports} ${command.map(quote).join(" ")}; echo "[exit $?]"; sleep 600`;
    this.tmux("new-session", "-d", "-s", this.name, "-x", "160", "-y", "50", "sh", "-c", script);
  }

  /** Keys as tmux names them ("Enter", "C-c", "Up") or literal text with `literal`. */
  send(keys: string[], literal = false): void {
    this.tmux("send-keys", "-t", this.name, ...(literal ? ["-l"] : []), ...keys);
  }

  type(text: string): void {
    this.send([text], true);
  }

  /** Pastes like a terminal: bracketed when the program asked for it (ESC[?2004h). */
  paste(text: string): void {
    this.tmux("set-buffer", "-b", "p", text);
    this.tmux("paste-buffer", "-p", "-d", "-b", "p", "-t", this.name);
  }

  /** The screen and scrollback as text. */
  screen(): string {
    return this.tmux("capture-pane", "-p", "-J", "-t", this.name, "-S", "-2000");
  }

  /** Waits until the screen matches; returns the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (pattern.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; screen:\n${s}`);
      await sleep(150);
    }
  }

  /** Number of times a pattern occurs on the screen (to wait for the next prompt, not an old one). */
  count(pattern: RegExp): number {
    return (this.screen().match(new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`)) ?? [])
      .length;
  }

  async waitForCount(pattern: RegExp, n: number, timeoutMs = 90_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (this.count(pattern) < n) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${n} x ${pattern}; screen:\n${this.screen()}`);
      await sleep(150);
    }
    return this.screen();
  }

  kill(): void {
    try {
      this.tmux("kill-server");
    } catch {
      // already gone
    }
  }
}
