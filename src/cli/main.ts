// The `hearth` command: parses input, runs one verb, prints. Errors become one line and a non-zero exit.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { reportError } from "./errors.ts";
import { enableDebug } from "../config/env.ts";
import type { CommandModule } from "./command.ts";

// One module per verb, each in cli/commands/<verb>.ts, default-exporting a CommandModule. They are
// found by listing the folder, so adding a verb touches no shared file.
const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "commands");

function commandFiles(): string[] {
  try {
    return readdirSync(commandsDir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort();
  } catch {
    return [];
  }
}

export async function buildProgram(): Promise<Command> {
  const program = new Command("hearth")
    .description("on-device AI inference: pull, run, serve, benchmark and tune models on this machine")
    .version("0.1.0")
    .option("--verbose", "print stack traces and engine logs")
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const file of commandFiles()) {
    const mod = (await import(path.join(commandsDir, file))) as { default: CommandModule };
    mod.default.register(program);
  }
  return program;
}

/** A reader that went away (`hearth list --json | head -1`) ends the command quietly with exit 0,
 *  as it does for other Unix tools, instead of an unhandled EPIPE. */
function exitWhenReaderGoes() {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

export async function main(argv: string[]): Promise<number> {
  exitWhenReaderGoes();
  // engines and runner processes read HEARTH_DEBUG (config/env.ts) to forward their native logs to stderr
  if (argv.includes("--verbose")) enableDebug();
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander; usage errors already printed their line
      return err.exitCode === 0 ? 0 : 2;
    }
    return reportError(err, argv.includes("--verbose"));
  }
}

const exitCode = await main(process.argv);
// Let stdout drain before exiting; runners and servers keep the process alive on their own.
if (exitCode !== 0) process.exitCode = exitCode;
