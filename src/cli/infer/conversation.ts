// The conversation `hearth infer` keeps across turns: an optional system prompt and the messages
// so far. `/save FILE` writes it as JSON and `/load FILE` reads it back (the same shape as the
// OpenAI `messages` array, so a saved chat can be sent to the server as it is).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Role } from "../../model/tasks/text.ts";
import type { UserContentPart } from "../../sdk/mediaParts.ts";
import { HearthError } from "../../errors/HearthError.ts";

export interface ConversationMessage {
  role: Role;
  /** text, or text and media paths for multimodal models */
  content: string | UserContentPart[];
}

/** What /save writes. */
export interface SavedConversation {
  messages: ConversationMessage[];
}

const ROLES: Role[] = ["system", "user", "assistant", "tool"];

export class Conversation {
  private turns: ConversationMessage[] = [];

  constructor(private system?: string) {}

  /** Messages to send: the system prompt first, then the turns. */
  get messages(): ConversationMessage[] {
    return this.system ? [{ role: "system", content: this.system }, ...this.turns] : [...this.turns];
  }

  get length(): number {
    return this.turns.length;
  }

  get systemPrompt(): string | undefined {
    return this.system;
  }

  setSystem(text: string | undefined): void {
    this.system = text || undefined;
  }

  /** The user turn plus the answer; an unanswered (failed, empty) turn is not kept. */
  addTurn(user: ConversationMessage["content"], answer: string): void {
    this.turns.push({ role: "user", content: user }, { role: "assistant", content: answer });
  }

  clear(): void {
    this.turns = [];
  }

  save(file: string): string {
    const abs = path.resolve(file);
    const saved: SavedConversation = { messages: this.messages };
    try {
      writeFileSync(abs, `${JSON.stringify(saved, null, 2)}\n`);
    } catch (e) {
      throw new HearthError("bad_input", `cannot write ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: "check the path",
      });
    }
    return abs;
  }

  /** Replaces this conversation (system prompt included) with the one in the file. */
  load(file: string): string {
    const abs = path.resolve(file);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(abs, "utf8"));
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new HearthError("bad_input", `cannot read a conversation from ${abs}: ${why}`, { hint: "give a file written by /save" });
    }
    const messages = Array.isArray(parsed) ? parsed : (parsed as SavedConversation | null)?.messages;
    if (!Array.isArray(messages) || !messages.every(isMessage)) {
      throw new HearthError("bad_input", `${abs} is not a saved conversation`, {
        hint: 'expected {"messages":[{"role":"user","content":"..."}, ...]}',
      });
    }
    const system = messages
      .filter((m) => m.role === "system")
      .map((m) => (typeof m.content === "string" ? m.content : ""))
      .join("\n");
    this.system = system || undefined;
    this.turns = messages.filter((m) => m.role !== "system");
    return abs;
  }
}

function isMessage(m: unknown): m is ConversationMessage {
  if (typeof m !== "object" || m === null) return false;
  const { role, content } = m as Record<string, unknown>;
  return ROLES.includes(role as Role) && (typeof content === "string" || Array.isArray(content));
}
