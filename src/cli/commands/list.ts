// `hearth list|ls`: the installed models and the embedded ones.
import type { Command } from "commander";
import { formatBytes, printJson, printTable } from "../output.ts";
import type { CommandModule } from "../command.ts";
import { listModels } from "../../store/list.ts";

export default {
  register(program: Command) {
    program
      .command("list")
      .alias("ls")
      .description("list installed models (and the models shipped with hearth)")
      .option("--json", "print as JSON")
      .action((flags: { json?: boolean }) => {
        const models = listModels();
        if (flags.json) {
          return printJson(models.map(({ manifest, ...m }) => ({ ...m, commit: manifest?.commit, facts: manifest?.facts })));
        }
        printTable([
          ["NAME", "TYPE", "FORMAT", "QUANTS", "SIZE", "SOURCE"],
          ...models.map((m) => [
            m.name,
            m.type,
            m.format,
            m.quants.join(",") || "-",
            m.embedded ? "-" : formatBytes(m.sizeBytes),
            m.embedded ? "embedded" : "store",
          ]),
        ]);
        if (!models.some((m) => !m.embedded)) process.stdout.write("\nno models pulled yet: try hearth pull qwen3\n");
      });
  },
} satisfies CommandModule;
