// Where non-interactive prompts come from: -i FILE and stdin (when not a terminal), then -p flags.
// A file or stdin holds one prompt per line; blank lines are skipped; a line ending in "\" goes
// on with the next line (joined by a newline), for prompts of several lines.
import { createReadStream, existsSync, statSync } from "node:fs";
import readline from "node:readline";
import type { Readable } from "node:stream";
import { HearthError } from "../../errors/HearthError.ts";

/** Prompts from a stream, one per line, yielded as they arrive (a pipe can feed a running chat). */
export async function* promptsFromStream(input: Readable): AsyncGenerator<string> {
  const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  let pending: string[] = [];
  for await (const line of rl) {
    if (line.endsWith("\\")) {
      pending.push(line.slice(0, -1));
      continue;
    }
    const prompt = [...pending, line].join("\n");
    pending = [];
    if (prompt.trim()) yield prompt;
  }
  const rest = pending.join("\n");
  if (rest.trim()) yield rest;
}

export function openPromptFile(file: string): Readable {
  if (file === "-") return process.stdin;
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new HearthError("bad_input", `no prompt file at ${file}`, { hint: "give a text file with one prompt per line" });
  }
  return createReadStream(file, "utf8");
}

export interface PromptSources {
  /** -p, in order */
  prompts?: string[];
  /** -i FILE ("-" for stdin) */
  file?: string;
  /** read stdin (not a terminal, no -p / -i) */
  stdin?: boolean;
}

/** All prompts of a non-interactive run, in order: the file (or stdin) first, then each -p. */
export async function* allPrompts(s: PromptSources): AsyncGenerator<string> {
  if (s.file) yield* promptsFromStream(openPromptFile(s.file));
  else if (s.stdin) yield* promptsFromStream(process.stdin);
  for (const p of s.prompts ?? []) yield p;
}
