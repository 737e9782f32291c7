// `hearth pull <org/repo>[:QUANT]`: fetch a model from the Hugging Face hub into the store.
// A progress bar (bytes, speed, ETA) on a TTY, plain lines otherwise; Ctrl-C stops cleanly and the
// next pull resumes.
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { formatBytes, printJson, printTable } from "../output.ts";
import type { CommandModule } from "../command.ts";
import { listRemoteQuants, type PullEvent } from "../../store/pull.ts";
import { pullModel } from "../../resolve/pull.ts";

interface PullFlags {
  listQuants?: boolean;
  force?: boolean;
  wait: boolean;
  json?: boolean;
}

/**
 * Renders pull events for people: a bar on a TTY, a line every few seconds otherwise (on stderr, so
 * stdout stays the command's result). Other verbs that pull on demand (resolveModel's onProgress)
 * can use it too.
 */
export function progressPrinter(json = false) {
  const tty = !json && process.stderr.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  let lastPct = -1;
  let startAt = Date.now();
  let startBytes = 0;
  let lastDone = 0;
  const line = (s: string) => {
    bar?.stop();
    process.stderr.write(`${s}\n`);
  };
  return {
    onEvent(e: PullEvent) {
      if (json && e.type !== "waiting" && e.type !== "retry") return;
      switch (e.type) {
        case "resolved":
          line(
            `pulling ${e.repo}:${e.quant} at ${e.commit.slice(0, 12)} (${e.files} file${e.files === 1 ? "" : "s"}, ${formatBytes(e.totalBytes)})`,
          );
          break;
        case "waiting":
        case "retry":
          line(e.message);
          // the message went above the bar; draw the bar again where it was
          if (bar) bar.start(bar.getTotal(), lastDone, { done: formatBytes(lastDone), size: formatBytes(bar.getTotal()), speed: "-" });
          break;
        case "start":
          if (e.resumedBytes > 0) line(`resuming: ${formatBytes(e.resumedBytes)} already downloaded`);
          if (tty) {
            bar = new cliProgress.SingleBar(
              { format: "{bar} {percentage}% | {done}/{size} | {speed}/s | ETA {eta_formatted}", hideCursor: true, stream: process.stderr },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.totalBytes, e.resumedBytes, { done: formatBytes(e.resumedBytes), size: formatBytes(e.totalBytes), speed: "-" });
          }
          startAt = Date.now();
          startBytes = e.resumedBytes;
          lastDone = e.resumedBytes;
          break;
        case "progress": {
          lastDone = e.doneBytes;
          const secs = (Date.now() - startAt) / 1000;
          const speed = secs > 0 ? (e.doneBytes - startBytes) / secs : 0;
          if (bar) {
            bar.update(e.doneBytes, { done: formatBytes(e.doneBytes), size: formatBytes(e.totalBytes), speed: formatBytes(speed) });
          } else {
            const pct = Math.floor((100 * e.doneBytes) / Math.max(1, e.totalBytes));
            if (Date.now() - lastLine >= 2000 && pct !== lastPct) {
              lastLine = Date.now();
              lastPct = pct;
              const eta = speed > 0 ? `${Math.ceil((e.totalBytes - e.doneBytes) / speed)} s` : "-";
              process.stderr.write(`${pct}% ${formatBytes(e.doneBytes)}/${formatBytes(e.totalBytes)} ${formatBytes(speed)}/s ETA ${eta}\n`);
            }
          }
          break;
        }
        case "file":
          if (!bar) process.stderr.write(`verified ${e.path} (${formatBytes(e.size)})\n`);
          break;
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
export default {
  register(program: Command) {
    program
      .command("pull")
      .description("download a model from the Hugging Face hub into the store (org/repo[:QUANT] or an alias)")
      .argument("<model>", "org/repo[:QUANT], e.g. Qwen/Qwen3-0.6B-GGUF:Q4_K_M, or an alias such as qwen3")
      .option("--list-quants", "list the quants the repo offers, with sizes, and download nothing")
      .option(
        "--force",
        "download even when the model looks too large for this machine's memory, or is in a format no engine here runs (MLX, .nexa, safetensors)",
      )
      .option("--no-wait", "fail at once if another process is pulling the same model")
      .option("--json", "print the result as JSON")
      .action(async (model: string, flags: PullFlags) => {
        const printer = progressPrinter(!!flags.json);
        if (flags.listQuants) {
          const r = await listRemoteQuants(model, { onEvent: printer.onEvent });
          if (flags.json) return printJson(r);
          process.stdout.write(`${r.repo} at ${r.commit.slice(0, 12)} (${r.format})\n`);
          printTable([
            ["QUANT", "SIZE", "MEMORY@4K", "FILES", ""],
            ...r.quants.map((q) => [
              q.name,
              formatBytes(q.size),
              formatBytes(q.memoryBytes),
              String(q.files.length),
              [q.default ? "default" : "", q.downloaded ? "downloaded" : ""].filter(Boolean).join(", "),
            ]),
          ]);
          return;
        }
        // Ctrl-C aborts the downloads; partial files stay for the next run, the lock is released
        const controller = new AbortController();
        const onSigint = () => controller.abort();
        process.once("SIGINT", onSigint);
        process.once("SIGTERM", onSigint);
        try {
          const r = await pullModel(model, { force: flags.force, wait: flags.wait, signal: controller.signal, onEvent: printer.onEvent });
          printer.stop();
          if (flags.json) {
            printJson({
              repo: r.repo,
              quant: r.quant,
              commit: r.commit,
              type: r.manifest.type,
              format: r.manifest.format,
              fetchedBytes: r.fetchedBytes,
              resumedBytes: r.resumedBytes,
              upToDate: r.upToDate,
              files: r.manifest.files.filter((f) => f.downloaded).map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
            });
          } else {
            process.stdout.write(
              r.upToDate
                ? `${r.repo}:${r.quant} is up to date\n`
                : `pulled ${r.repo}:${r.quant} (${formatBytes(r.fetchedBytes)} fetched${r.resumedBytes ? `, ${formatBytes(r.resumedBytes)} resumed` : ""})\n`,
            );
          }
        } finally {
          printer.stop();
          process.off("SIGINT", onSigint);
          process.off("SIGTERM", onSigint);
        }
      });
  },
} satisfies CommandModule;
