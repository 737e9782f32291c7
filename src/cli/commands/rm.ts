// `hearth remove|rm <model>[:QUANT]`: delete a model, or one quant of it, from the store.
import type { Command } from "commander";
import { formatBytes, printJson } from "../output.ts";
import type { CommandModule } from "../command.ts";
import { removeModel } from "../../store/remove.ts";

export default {
  register(program: Command) {
    program
      .command("remove")
      .alias("rm")
      .description("remove a model (org/repo) or one quant of it (org/repo:QUANT) from the store")
      .argument("<model>", "org/repo[:QUANT] or an alias")
      .option("--json", "print the result as JSON")
      .action(async (model: string, flags: { json?: boolean }) => {
        const r = await removeModel(model);
        if (flags.json) return printJson(r);
        const what = r.removedModel ? r.repo : `${r.repo}:${r.quants.join(",")}`;
        process.stdout.write(`removed ${what} (${formatBytes(r.freedBytes)} freed)\n`);
      });
  },
} satisfies CommandModule;
