// The interactive chat of `hearth infer` on a terminal: streamed answers, multi-turn history,
// slash commands, input history across sessions, bracketed paste, Ctrl-C to stop an answer.
import path from "node:path";
import readline from "node:readline";
import pc from "picocolors";
import { isHearthError } from "../../errors/HearthError.ts";
import type { GenerateOptions } from "../../sdk/types.ts";
import type { ChatModel } from "./chatModel.ts";
import { Conversation } from "./conversation.ts";
import { historyFile, HISTORY_SIZE, loadHistory, saveHistory } from "./inputHistory.ts";
import { AnswerPrinter, profileLine } from "./render.ts";
import { DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE, TerminalInput, restorePastedNewlines } from "./terminalInput.ts";
import { runTurn } from "./turn.ts";

export interface ReplOptions {
  generate: GenerateOptions;
  system?: string;
  hideThink?: boolean;
  /** default HEARTH_HOME/state/history/chat.jsonl */
  historyFile?: string;
}

export const REPL_HELP = [
  "/help            this list",
  "/clear           forget the conversation (the system prompt stays)",
  "/save FILE       write the conversation as JSON",
  "/load FILE       replace the conversation with one written by /save",
  "/system [TEXT]   show or set the system prompt",
  "/exit            leave (also Ctrl-D, or Ctrl-C twice)",
  "",
  "Ctrl-C stops an answer. Paste several lines and they are one message, or end a line with \\ to go on",
  "on the next. Start a message with // to send a leading /.",
].join("\n");

type Event = { type: "line"; line: string } | { type: "exit" };

export async function runRepl(model: ChatModel, o: ReplOptions): Promise<void> {
  const out = process.stdout;
  const say = (s: string) => out.write(`${s}\n`);
  const conversation = new Conversation(o.system);
  const file = o.historyFile ?? historyFile();

  const input = new TerminalInput(process.stdin);
  process.stdin.pipe(input);
  out.write(ENABLE_BRACKETED_PASTE);
  const rl = readline.createInterface({
    input,
    output: out,
    terminal: true,
    history: loadHistory(file),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  rl.on("history", (h: string[]) => saveHistory(file, h));
  // back from Ctrl-Z (fg): readline pauses its input then and resumes only on prompt()
  rl.on("SIGCONT", () => rl.prompt(true));

  // events arrive one at a time: the loop below takes a line, answers it, then asks again
  const queue: Event[] = [];
  let wake: (() => void) | undefined;
  const push = (e: Event) => {
    queue.push(e);
    wake?.();
  };
  const next = async (): Promise<Event> => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return queue.shift()!;
  };
  rl.on("line", (line) => push({ type: "line", line }));
  rl.on("close", () => push({ type: "exit" }));

  // a line ending in "\" goes on with the next (as in -i files): typed multi-line messages
  let pending = "";
  const promptFor = () => pc.green(pending ? "… " : "> ");

  // Ctrl-C: stops an answer; at the prompt it drops what is typed (the line and any continued
  // lines), and on an empty prompt it arms exit (right after stopping an answer it is already
  // armed), so "Ctrl-C, Ctrl-C" leaves.
  let exitArmed = false;
  rl.on("SIGINT", () => {
    if (rl.line.length > 0 || pending) {
      rl.write(null, { ctrl: true, name: "e" });
      rl.write(null, { ctrl: true, name: "u" });
      if (pending) {
        pending = "";
        out.write("\n");
        rl.setPrompt(promptFor());
        rl.prompt();
      }
      exitArmed = false;
      return;
    }
    if (exitArmed) {
      out.write("\n");
      push({ type: "exit" });
      return;
    }
    exitArmed = true;
    out.write(`\n${pc.dim("(Ctrl-C again to exit, or /exit)")}\n`);
    rl.prompt();
  });

  const info = model.info;
  say(
    pc.dim(
      `${info.ref} on ${info.backend}/${info.device}${info.contextSize ? `, context ${info.contextSize}` : ""}. /help lists commands; Ctrl-C stops an answer, Ctrl-D exits.`,
    ),
  );

  try {
    for (;;) {
      rl.setPrompt(promptFor());
      rl.prompt();
      const e = await next();
      if (e.type === "exit") break;
      const line = restorePastedNewlines(e.line);
      if (line.endsWith("\\")) {
        pending += `${line.slice(0, -1)}\n`;
        continue;
      }
      const text = (pending + line).trim();
      pending = "";
      if (!text) continue;
      exitArmed = false;
      if (text.startsWith("/") && !text.startsWith("//")) {
        if (!runCommand(text, conversation, say)) break;
        continue;
      }
      const media = model.mediaIn(text);
      if (media.length > 0) say(pc.dim(`(${media.map((m) => `${m.kind} ${path.basename(m.path)}`).join(", ")})`));
      const controller = new AbortController();
      input.busy = true;
      input.onInterrupt = () => {
        exitArmed = true;
        controller.abort();
      };
      const printer = new AnswerPrinter({ out, hideThink: o.hideThink, terminal: true });
      const t = await runTurn(
        model,
        conversation,
        text.startsWith("//") ? text.slice(1) : text,
        { ...o.generate, signal: controller.signal },
        printer,
      );
      input.busy = false;
      input.onInterrupt = undefined;
      if (t.error) {
        say(`${pc.red("error:")} ${t.error.line}`);
        if (t.error.code === "context_exceeded" && conversation.length > 0)
          say(pc.dim("(the conversation fills the context: /clear starts over)"));
      } else if (t.result) say(pc.dim(profileLine(t.result)));
      else if (t.aborted) say(pc.dim("stopped"));
    }
  } finally {
    rl.close();
    out.write(DISABLE_BRACKETED_PASTE);
    process.stdin.unpipe(input);
    process.stdin.setRawMode?.(false);
    process.stdin.pause();
  }
}

/** A slash command; returns false to leave the chat. */
function runCommand(text: string, conversation: Conversation, say: (s: string) => void): boolean {
  const cmd = text.split(/\s+/)[0];
  const arg = text.slice(cmd.length).trim();
  try {
    switch (cmd) {
      case "/exit":
      case "/quit":
      case "/bye":
        return false;
      case "/help":
      case "/?":
        say(REPL_HELP);
        return true;
      case "/clear":
        conversation.clear();
        say(pc.dim("conversation cleared"));
        return true;
      case "/save": {
        if (!arg) return usage(say, "/save FILE");
        const abs = conversation.save(arg);
        say(pc.dim(`saved ${conversation.messages.length} messages to ${abs}`));
        return true;
      }
      case "/load": {
        if (!arg) return usage(say, "/load FILE");
        const abs = conversation.load(arg);
        say(pc.dim(`loaded ${conversation.messages.length} messages from ${abs}`));
        return true;
      }
      case "/system":
        if (arg) {
          conversation.setSystem(arg);
          say(pc.dim("system prompt set"));
        } else say(conversation.systemPrompt ?? pc.dim("(no system prompt)"));
        return true;
      default:
        say(`${pc.red("error:")} unknown command ${cmd} (/help lists them; start with // to send a message beginning with /)`);
        return true;
    }
  } catch (e) {
    say(`${pc.red("error:")} ${isHearthError(e) ? e.line : e instanceof Error ? e.message : String(e)}`);
    return true;
  }
}

function usage(say: (s: string) => void, form: string): true {
  say(`${pc.red("error:")} usage: ${form}`);
  return true;
}
