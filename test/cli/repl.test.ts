// The interactive chat of `hearth infer`, driven through a real terminal (tmux): slash commands,
// /save and /load, bracketed paste, input history across sessions, Ctrl-C to stop an answer and
// to leave.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { buildVocab } from "../../fixtures/vocab.ts";
import { hearthBin, repoRoot } from "../helpers/cli.ts";
import { TmuxSession } from "./tmux.ts";

const home = mkdtempSync(path.join(os.tmpdir(), "hearth-repl-"));
const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-repl-files-"));
const env = { HEARTH_HOME: home, NO_COLOR: "1" };
const tiny = await ensureFixture("tiny");
const PROMPT = /^> /m;
const SPEED = /tok\/s · \d+ tokens? · first token \d+ ms/;

function hearth(...args: string[]): TmuxSession {
  return new TmuxSession([process.execPath, hearthBin, ...args], env, dir);
}

function saved(file: string) {
  return JSON.parse(readFileSync(path.join(dir, file), "utf8")).messages as { role: string; content: string }[];
}

test("slash commands, /save and /load, a multi-line paste as one message, input history", async () => {
  const t = hearth("infer", tiny, "-t", "1", "-n", "8", "--temperature", "0", "-s", "be brief");
  try {
    await t.waitFor(/\/help lists commands/);
    await t.waitForCount(PROMPT, 1);
    t.send(["C-c"]);
    await t.waitFor(/\(Ctrl-C again to exit, or \/exit\)/);
    t.type("/help");
    t.send(["Enter"]);
    await t.waitFor(/\/save FILE +write the conversation as JSON/);

    t.type("hello there");
    t.send(["Enter"]);
    await t.waitForCount(SPEED, 1);
    t.type("/save a.json");
    t.send(["Enter"]);
    await t.waitFor(/saved 3 messages to .*a\.json/);
    assert.deepEqual(
      saved("a.json").map((m) => m.role),
      ["system", "user", "assistant"],
    );
    assert.equal(saved("a.json")[1].content, "hello there");

    t.type("/clear");
    t.send(["Enter"]);
    await t.waitFor(/conversation cleared/);
    t.type("/save b.json");
    t.send(["Enter"]);
    await t.waitFor(/saved 1 messages to .*b\.json/);
    t.type("/load a.json");
    t.send(["Enter"]);
    await t.waitFor(/loaded 3 messages from .*a\.json/);
    t.type("/save c.json");
    t.send(["Enter"]);
    await t.waitFor(/saved 3 messages to .*c\.json/);
    assert.deepEqual(saved("c.json"), saved("a.json"));

    // a paste of two lines is one message (the terminal brackets it; Enter sends it)
    t.paste("line one\nline two");
    await t.waitFor(/line one.line two/);
    t.send(["Enter"]);
    await t.waitForCount(SPEED, 2);
    t.type("/save d.json");
    t.send(["Enter"]);
    await t.waitFor(/saved 5 messages to .*d\.json/);
    assert.equal(saved("d.json")[3].content, "line one\nline two");
    // the second turn was answered with the first in its context
    assert.equal(saved("d.json")[1].content, "hello there");

    // a line ending in \ goes on with the next; Ctrl-C drops what is typed
    t.type("two\\");
    t.send(["Enter"]);
    await t.waitFor(/^… /m);
    t.type("lines");
    t.send(["Enter"]);
    await t.waitForCount(SPEED, 3);
    t.type("junk");
    t.send(["C-c"]);
    t.type("/save e.json");
    t.send(["Enter"]);
    await t.waitFor(/saved 7 messages to .*e\.json/);
    assert.equal(saved("e.json")[5].content, "two\nlines");

    t.type("/nope");
    t.send(["Enter"]);
    await t.waitFor(/error: unknown command \/nope/);
    t.type("/exit");
    t.send(["Enter"]);
    await t.waitFor(/\[exit 0\]/);
  } finally {
    t.kill();
  }

  const history = readFileSync(path.join(home, "state", "history", "chat.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.ok(history.includes("hello there"));
  assert.equal(history[history.length - 1], "/exit");

  // a new session recalls earlier inputs with the arrow keys
  const again = hearth("infer", tiny, "-t", "1", "-n", "8", "--temperature", "0");
  try {
    await again.waitForCount(PROMPT, 1);
    again.send(["Up"]);
    await again.waitFor(/^> \/exit/m);
    again.send(["Up"]);
    await again.waitFor(/^> \/nope/m);
    again.send(["C-d"]);
    // Ctrl-D on a line that is not empty deletes a character; clear the line, then leave
    again.send(["C-u"]);
    again.send(["C-d"]);
    await again.waitFor(/\[exit 0\]/);
  } finally {
    again.kill();
  }
});

test("Ctrl-C stops a long answer and the prompt returns; a second Ctrl-C leaves", async () => {
  // the control tokens (end of text, end of turn, start of turn) forbidden, a grammar of letters
  // and spaces (the random model once spelled "<|im_end|>" out of byte tokens, which ends a turn as
  // a stop string) and a big budget: the answer runs until stopped
  const special = buildVocab(512).special;
  const banned = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"].flatMap((t) => [
    "--logit-bias",
    `${special[t]}=-inf`,
  ]);
  const letters = path.join(dir, "letters.gbnf");
  writeFileSync(letters, "root ::= [a-z ]+\n");
  const t = hearth("infer", tiny, "-t", "1", "-n", "20000", "-c", "24576", "--temperature", "0", "--grammar", letters, ...banned);
  try {
    await t.waitForCount(PROMPT, 1);
    const before = t.screen().trim().length;
    t.type("talk for a long time");
    t.send(["Enter"]);
    // wait until the answer is streaming
    const end = Date.now() + 60_000;
    while (t.screen().trim().length < before + 200) {
      if (Date.now() > end) throw new Error(`no answer streamed:\n${t.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    t.send(["C-c"]);
    const screen = await t.waitFor(/stopped\s*\n> /, 30_000);
    assert.doesNotMatch(screen, /\[exit/);
    t.send(["C-c"]);
    await t.waitFor(/\[exit 0\]/, 30_000);
  } finally {
    t.kill();
  }
});

test("<think> reasoning shows in the chat between think tags, and not at all with --hide-think", async () => {
  const tools = await ensureFixture("tools");
  // the grammar makes the random model write a think block, then an answer
  const grammar = path.join(dir, "think.gbnf");
  writeFileSync(grammar, 'root ::= "<think>\\n" [a-z]{3,6} "\\n</think>\\n\\n" "answer" [a-z]{2,5}\n');
  for (const hide of [false, true]) {
    const t = hearth("infer", tools, "-t", "1", "-n", "60", "--temperature", "0", "--grammar", grammar, ...(hide ? ["--hide-think"] : []));
    try {
      await t.waitForCount(PROMPT, 1);
      t.type("hi");
      t.send(["Enter"]);
      const screen = await t.waitFor(SPEED);
      assert.match(screen, /answer[a-z]{2,5}/);
      if (hide) assert.doesNotMatch(screen, /think>/);
      else assert.match(screen, /<think>[a-z]{3,6}<\/think>\s*\n\s*answer[a-z]{2,5}/);
      t.type("/exit");
      t.send(["Enter"]);
      await t.waitFor(/\[exit 0\]/);
    } finally {
      t.kill();
    }
  }
});

test("on a terminal, --json without prompts says what to give instead of waiting", async () => {
  const t = hearth("infer", tiny, "--json");
  try {
    const screen = await t.waitFor(/\[exit \d+\]/);
    assert.match(screen, /error: no prompts for --json \(give -p "PROMPT", -i FILE, or pipe prompts on stdin\)\n\[exit 2\]/);
  } finally {
    t.kill();
  }
});
