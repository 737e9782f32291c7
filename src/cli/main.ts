// The `hearth` command: parses input, runs one verb, prints. Errors become one line and a non-zero exit.
import { Command, CommanderError, Help } from "commander";
import { reportError } from "./errors.ts";
import { enableDebug } from "../config/env.ts";
import { readVerbIndex, registerVerb, verbFiles, namedVerbFile } from "./verbs.ts";

/** The program with every verb, or (from the compiled package, given argv) the named verb in full
 *  and the others as their name and description only, so a start-up imports one verb's code. */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command("hearth")
    .description("on-device AI inference: pull, run, serve, benchmark and tune models on this machine")
    .version("0.1.0")
    .option("--verbose", "print stack traces and engine logs")
    .showSuggestionAfterError(true)
    .exitOverride();
  const index = argv ? readVerbIndex() : undefined;
  if (!index) {
    for (const file of verbFiles()) await registerVerb(program, file);
    return program;
  }
  const wanted = namedVerbFile(argv!, index);
  const loaded = new Set<string>();
  for (const verb of index) {
    if (verb.file === wanted) {
      if (!loaded.has(verb.file)) await registerVerb(program, verb.file);
      loaded.add(verb.file);
    } else {
      program.command(verb.name).aliases(verb.aliases).description(verb.description);
    }
  }
  const terms = new Map(index.map((v) => [v.name, v.term]));
  program.configureHelp({
    subcommandTerm(cmd) {
      return terms.get(cmd.name()) ?? Help.prototype.subcommandTerm.call(this, cmd);
    },
  });
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
  const program = await buildProgram(argv);
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
