// The helper process of scripts/spawner.ts: runs each program it is sent and sends back its output.
import { execFile } from "node:child_process";

process.on("message", ({ id, file, args, maxBuffer }) => {
  execFile(file, args, { maxBuffer }, (err, stdout, stderr) => {
    process.send({ id, stdout, stderr, error: err ? { message: err.message, code: err.code ?? null } : undefined });
  });
});
// the benchmark ended (or died): so does the helper
process.on("disconnect", () => process.exit(0));
