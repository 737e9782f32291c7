// `hearth clean`: remove partial downloads, stale locks and orphan files from the store.
import type { Command } from "commander";
import { formatBytes, printJson } from "../output.ts";
import type { CommandModule } from "../command.ts";
import { cleanStore } from "../../store/clean.ts";

export default {
  register(program: Command) {
    program
      .command("clean")
      .description("remove partial downloads, stale locks and files no manifest lists")
      .option("--json", "print what was removed as JSON")
      .action(async (flags: { json?: boolean }) => {
        const r = await cleanStore();
        if (flags.json) return printJson(r);
        const n = r.partialFiles.length + r.orphanFiles.length + r.staleLocks.length;
        process.stdout.write(
          n === 0
            ? "nothing to clean\n"
            : `removed ${r.partialFiles.length} partial download(s), ${r.orphanFiles.length} orphan file(s), ${r.staleLocks.length} stale lock(s): ${formatBytes(r.freedBytes)} freed\n`,
        );
        if (r.skippedBusy.length > 0) process.stdout.write(`skipped (being pulled now): ${r.skippedBusy.join(", ")}\n`);
      });
  },
} satisfies CommandModule;
