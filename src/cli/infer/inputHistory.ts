// The history of past chat inputs (arrow up / down across sessions), kept under
// HEARTH_HOME/state/history/chat.jsonl: one JSON string per line, oldest first, so inputs of
// several lines survive intact.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { homePaths, readEnv } from "../../config/env.ts";

export const HISTORY_SIZE = 1000;

export function historyFile(home = readEnv().home): string {
  return path.join(homePaths(home).state, "history", "chat.jsonl");
}

/** Newest first, as readline wants it; a missing or damaged file is an empty history. */
export function loadHistory(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const entries: string[] = [];
  for (const line of text.split("\n")) {
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === "string" && v) entries.push(v);
    } catch {
      // skip a damaged line rather than lose the rest
    }
  }
  return entries.reverse().slice(0, HISTORY_SIZE);
}

/** Writes readline's history (newest first). Failing to save history never stops a chat. */
export function saveHistory(file: string, newestFirst: readonly string[]): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const lines = newestFirst
      .slice(0, HISTORY_SIZE)
      .reverse()
      .map((e) => JSON.stringify(e));
    writeFileSync(file, lines.length ? `${lines.join("\n")}\n` : "");
  } catch {
    // read-only home: the session still works, only without saved history
  }
}
