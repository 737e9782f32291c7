// `infer` on a chat model: the interactive REPL on a terminal, otherwise one turn per prompt.
import { HearthError } from "../../errors/HearthError.ts";
import type { GenerateOptions, LoadModelOptions } from "../../sdk/types.ts";
import { runBatchChat } from "./batch.ts";
import { openChatModel } from "./chatModel.ts";
import type { PromptSources } from "./prompts.ts";
import { runRepl } from "./repl.ts";

export interface ChatInferOptions {
  load: LoadModelOptions;
  mmproj?: string;
  generate: GenerateOptions;
  prompts?: string[];
  input?: string;
  system?: string;
  json?: boolean;
  hideThink?: boolean;
}

/** Interactive when nothing was given to say and both ends are a terminal. */
export function isInteractive(o: Pick<ChatInferOptions, "prompts" | "input" | "json">): boolean {
  return !o.prompts?.length && !o.input && !o.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
}

export async function runChatInfer(ref: string, o: ChatInferOptions): Promise<void> {
  const interactive = isInteractive(o);
  const sources: PromptSources = { prompts: o.prompts, file: o.input, stdin: !o.prompts?.length && !o.input };
  if (!interactive && sources.stdin && process.stdin.isTTY) {
    // stdin is a terminal but stdout is not (or --json): there is no one to chat with
    throw new HearthError("bad_input", `no prompts${o.json ? " for --json" : " (the interactive chat needs a terminal for output too)"}`, {
      hint: 'give -p "PROMPT", -i FILE, or pipe prompts on stdin',
    });
  }
  const model = await openChatModel(ref, { ...o.load, mmproj: o.mmproj });
  try {
    if (interactive) {
      await runRepl(model, { generate: o.generate, system: o.system, hideThink: o.hideThink });
      return;
    }
    const failed = await runBatchChat(model, { sources, generate: o.generate, system: o.system, json: o.json, hideThink: o.hideThink });
    if (failed > 0) process.exitCode = 1;
  } finally {
    await model.dispose();
  }
}
