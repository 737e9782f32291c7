// The verbs of the `hearth` command: one module per verb in cli/commands/, found by listing the
// folder, so adding a verb touches no shared file. Importing every verb module loads the server,
// the hub client and image libraries, so the compiled package carries an index of the verbs
// (verbs.json, written by the build): `hearth --help` reads it and imports no verb, and
// `hearth <verb>` imports that verb's module only. From the sources there is no index and every
// module is imported, as before.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command } from "commander";
import type { CommandModule } from "./command.ts";

const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "commands");
const indexFile = fileURLToPath(new URL("./verbs.json", import.meta.url));

/** What top-level help shows of a verb, and the module that defines it. */
export interface VerbEntry {
  file: string;
  name: string;
  aliases: string[];
  /** "infer [options] [model]", as commander writes it in the list of commands */
  term: string;
  description: string;
}

export function verbFiles(): string[] {
  try {
    // .ts in the sources, .js in the compiled package (beside .d.ts and .map files)
    return readdirSync(commandsDir)
      .filter((f) => /(?<!\.d|\.test)\.[jt]s$/.test(f))
      .sort();
  } catch {
    return [];
  }
}

export async function registerVerb(program: Command, file: string): Promise<void> {
  const mod = (await import(pathToFileURL(path.join(commandsDir, file)).href)) as { default: CommandModule };
  mod.default.register(program);
}

/** The index, when this is the compiled package and the build wrote one. */
export function readVerbIndex(): VerbEntry[] | undefined {
  if (!existsSync(indexFile)) return undefined;
  return JSON.parse(readFileSync(indexFile, "utf8")) as VerbEntry[];
}

/** Imports every verb module once and records what each registers (run by the build). */
export async function writeVerbIndex(): Promise<VerbEntry[]> {
  const entries: VerbEntry[] = [];
  for (const file of verbFiles()) {
    const program = new Command("hearth");
    await registerVerb(program, file);
    const help = program.createHelp();
    for (const cmd of program.commands) {
      entries.push({
        file,
        name: cmd.name(),
        aliases: cmd.aliases(),
        term: help.subcommandTerm(cmd),
        description: help.subcommandDescription(cmd),
      });
    }
  }
  writeFileSync(indexFile, `${JSON.stringify(entries, null, 1)}\n`);
  return entries;
}

/** The verb module the command line names (`hearth [--verbose] <verb|alias> ...`, or `hearth help <verb>`). */
export function namedVerbFile(argv: string[], index: VerbEntry[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith("-"));
  const word = words[0] === "help" ? words[1] : words[0];
  return index.find((v) => v.name === word || v.aliases.includes(word ?? ""))?.file;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const entries = await writeVerbIndex();
  console.log(`wrote ${path.relative(process.cwd(), indexFile)}: ${entries.map((e) => e.name).join(", ")}`);
}
