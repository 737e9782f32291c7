// `hearth functioncall <model> --tool FILE.json -p PROMPT`: asks a model with tools, using its own
// chat template, and prints the tool calls it makes, parsed (name + arguments).
import type { Command } from "commander";
import pc from "picocolors";
import type { CommandModule } from "../command.ts";
import { HearthError } from "../../errors/HearthError.ts";
import type { ChatMessage } from "../../sdk/types.ts";
import {
  addLoadOptions,
  addSamplingOptions,
  generateOptionsFrom,
  loadOptionsFrom,
  type LoadFlags,
  type SamplingFlags,
} from "../infer/options.ts";
import { profileLine } from "../infer/render.ts";
import { loadToolFiles, parseToolChoice } from "../infer/toolFiles.ts";

interface FunctionCallFlags extends LoadFlags, SamplingFlags {
  tool: string[];
  prompt: string;
  system?: string;
  toolChoice?: string;
  parallelToolCalls?: boolean;
  json?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Arguments as an object when they are JSON (they should be), else the text as it came. */
function parsedArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export default {
  register(program: Command) {
    const cmd = program
      .command("functioncall")
      .description("ask a model with tools and print the tool calls it makes")
      .argument("<model>", "store name (org/repo[:QUANT]), alias, or path to a GGUF model")
      .requiredOption("--tool <file>", "a JSON file with one tool or an array of tools (repeatable)", collect)
      .requiredOption("-p, --prompt <text>", "the user's request")
      .option("-s, --system <text>", "system prompt")
      .option("--tool-choice <choice>", "auto, none, required, or a tool's name", "auto")
      .option("--no-parallel-tool-calls", "at most one tool call per answer")
      .option("--json", "print {tool_calls, text, finish_reason, profile} as JSON");
    addLoadOptions(cmd);
    addSamplingOptions(cmd);
    cmd.action(async (ref: string, f: FunctionCallFlags) => {
      const tools = loadToolFiles(f.tool);
      const toolChoice = parseToolChoice(f.toolChoice, tools);
      const generate = generateOptionsFrom(f);
      const messages: ChatMessage[] = [
        ...(f.system ? [{ role: "system" as const, content: f.system }] : []),
        { role: "user", content: f.prompt },
      ];
      // the engine loads only when the command runs, not for `hearth --help`
      const { LLM } = await import("../../sdk/LLM.ts");
      const llm = await LLM.load(ref, loadOptionsFrom(f));
      try {
        const r = await llm.chat(messages, {
          ...generate,
          tools,
          toolChoice,
          parallelToolCalls: f.parallelToolCalls === false ? false : undefined,
        }).result;
        const calls = r.toolCalls ?? [];
        if (f.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                tool_calls: calls.map((c) => ({ id: c.id, name: c.name, arguments: parsedArguments(c.arguments) })),
                text: r.text,
                reasoning: r.reasoning || null,
                finish_reason: r.finishReason,
                usage: { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens },
                profile: r.profile,
              },
              null,
              2,
            )}\n`,
          );
        } else {
          for (const c of calls) process.stdout.write(`${pc.bold(c.name)} ${JSON.stringify(parsedArguments(c.arguments))}\n`);
          if (calls.length === 0)
            process.stderr.write(`${pc.yellow("no tool call")}; the model answered: ${r.text.trim() || "(nothing)"}\n`);
          process.stderr.write(`${pc.dim(profileLine(r))}\n`);
        }
        if (calls.length === 0 && toolChoice !== "auto" && toolChoice !== "none") {
          throw new HearthError("internal", "the model made no tool call although one was required", {
            hint:
              r.finishReason === "length" ? "the call was cut off at the token limit; raise --max-tokens" : "try another model or prompt",
          });
        }
      } finally {
        await llm.dispose();
      }
    });
  },
} satisfies CommandModule;
