import type { Command } from "commander";

/** A CLI verb: one file in cli/commands/, registering itself on the program. */
export interface CommandModule {
  register(program: Command): void;
}
