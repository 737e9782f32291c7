// Turns any error into the one line a user reads, and an exit code.
import pc from "picocolors";
import { isHearthError } from "../errors/HearthError.ts";
import { readEnv } from "../config/env.ts";

export function exitCodeFor(err: unknown): number {
  if (isHearthError(err)) {
    if (err.code === "aborted") return 130;
    if (err.code === "bad_input") return 2;
    if (err.code === "regression") return 3; // the gate ran and failed: scripts tell it from a broken run
  }
  return 1;
}

export function reportError(err: unknown, verbose: boolean): number {
  const showStack = verbose || readEnv().debug;
  const line = isHearthError(err) ? err.line : err instanceof Error ? err.message : String(err);
  process.stderr.write(`${pc.red("error:")} ${line}\n`);
  if (showStack && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCodeFor(err);
}
