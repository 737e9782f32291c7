// The flags `infer` and `functioncall` share: how to load (context, threads, device...), how to
// sample (temperature, penalties, stop...), and what shape the output must have (JSON schema,
// GBNF grammar). Each flag is parsed and range-checked here, so a typo is one clear line and exit 2.
import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { HearthError } from "../../errors/HearthError.ts";
import type { GenerateOptions, LoadModelOptions, OutputConstraint } from "../../sdk/types.ts";

function bad(flag: string, value: string, want: string, example: string): HearthError {
  return new HearthError("bad_input", `${flag} must be ${want}, got "${value}"`, { hint: `e.g. ${flag} ${example}` });
}

/** A number parser for commander that throws a bad_input HearthError naming the flag. */
export function numberFlag(flag: string, check: { min?: number; max?: number; integer?: boolean; above?: number }, example: string) {
  const want = [
    check.integer ? "an integer" : "a number",
    check.above !== undefined ? `above ${check.above}` : "",
    check.min !== undefined && check.max !== undefined
      ? `from ${check.min} to ${check.max}`
      : check.min !== undefined
        ? `of at least ${check.min}`
        : "",
  ]
    .filter(Boolean)
    .join(" ");
  return (value: string): number => {
    const n = value.trim() === "" ? NaN : Number(value);
    const ok =
      Number.isFinite(n) &&
      (!check.integer || Number.isInteger(n)) &&
      (check.min === undefined || n >= check.min) &&
      (check.max === undefined || n <= check.max) &&
      (check.above === undefined || n > check.above);
    if (!ok) throw bad(flag, value, want, example);
    return n;
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--logit-bias ID=BIAS` (repeatable); BIAS is a number, or -inf to forbid the token. */
function parseLogitBias(value: string, previous: Record<number, number> | undefined): Record<number, number> {
  const m = /^\s*(\d+)\s*[=:]\s*(-?inf(?:inity)?|[-+]?\d*\.?\d+(?:e[-+]?\d+)?)\s*$/i.exec(value);
  if (!m) throw bad("--logit-bias", value, "TOKEN_ID=BIAS (BIAS a number or -inf)", "15043=-inf");
  const bias = /inf/i.test(m[2]) ? (m[2].startsWith("-") ? -Infinity : Infinity) : Number(m[2]);
  return { ...(previous ?? {}), [Number(m[1])]: bias };
}

function parseGpuLayers(value: string): number | "max" {
  if (value === "max" || value === "auto" || value === "all") return "max";
  return numberFlag("--gpu-layers", { integer: true, min: 0 }, "max")(value);
}

const DEVICES = ["auto", "cpu", "gpu", "npu"];

/** Load flags: where and how the model runs. */
export function addLoadOptions(cmd: Command): Command {
  return cmd
    .option(
      "-c, --ctx-size <n>",
      "context size in tokens (default: the model's, capped by memory)",
      numberFlag("--ctx-size", { integer: true, min: 16 }, "4096"),
    )
    .option("-t, --threads <n>", "compute threads (default: the physical cores)", numberFlag("--threads", { integer: true, min: 1 }, "4"))
    .option("--gpu-layers <n|max>", "layers offloaded to the GPU (default: as many as fit)", parseGpuLayers)
    .option("--batch-size <n>", "prompt batch size", numberFlag("--batch-size", { integer: true, min: 1 }, "512"))
    .addOption(new Option("--device <device>", "device to run on").choices(DEVICES))
    .option("--backend <name>", "force an engine (e.g. llama)");
}

/** Sampling flags, as llama.cpp names them. */
export function addSamplingOptions(cmd: Command): Command {
  return cmd
    .option(
      "--temperature <t>",
      "sampling temperature; 0 is greedy (default 0.8)",
      numberFlag("--temperature", { min: 0, max: 100 }, "0.7"),
    )
    .option("--top-p <p>", "nucleus sampling", numberFlag("--top-p", { above: 0, max: 1 }, "0.9"))
    .option("--top-k <k>", "sample from the k most likely tokens (0: all)", numberFlag("--top-k", { integer: true, min: 0 }, "40"))
    .option("--min-p <p>", "drop tokens below p x the top probability", numberFlag("--min-p", { min: 0, max: 1 }, "0.05"))
    .option("--repeat-penalty <x>", "penalty for repeated tokens (1: off)", numberFlag("--repeat-penalty", { min: 0 }, "1.1"))
    .option("--presence-penalty <x>", "penalty for tokens already present", numberFlag("--presence-penalty", { min: -2, max: 2 }, "0.5"))
    .option(
      "--frequency-penalty <x>",
      "penalty growing with a token's count",
      numberFlag("--frequency-penalty", { min: -2, max: 2 }, "0.5"),
    )
    .option("--seed <n>", "sampling seed (same seed, same output)", numberFlag("--seed", { integer: true, min: 0, max: 0xffffffff }, "42"))
    .option("-n, --max-tokens <n>", "most tokens to generate per answer", numberFlag("--max-tokens", { integer: true, min: 1 }, "256"))
    .option("--stop <text>", "stop when this text is generated (repeatable)", collect)
    .option("--logit-bias <id=bias>", "add BIAS to token ID's logit; -inf forbids it (repeatable)", parseLogitBias)
    .option("--ignore-eos", "never end on an end-of-generation token: generate to --max-tokens")
    .option("--json-schema <file>", "constrain the output to this JSON schema")
    .option("--grammar <file>", "constrain the output to this GBNF grammar");
}

/** What commander hands over for the flags above. */
export interface LoadFlags {
  ctxSize?: number;
  threads?: number;
  gpuLayers?: number | "max";
  batchSize?: number;
  device?: string;
  backend?: string;
}

export interface SamplingFlags {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repeatPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  maxTokens?: number;
  stop?: string[];
  logitBias?: Record<number, number>;
  ignoreEos?: boolean;
  jsonSchema?: string;
  grammar?: string;
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Unset flags are left out, so the planner's defaults apply. */
export function loadOptionsFrom(f: LoadFlags & { seed?: number }): LoadModelOptions {
  return defined<LoadModelOptions>({
    contextSize: f.ctxSize,
    threads: f.threads,
    gpuLayers: f.gpuLayers,
    batchSize: f.batchSize,
    device: f.device as LoadModelOptions["device"],
    backend: f.backend,
    seed: f.seed,
  });
}

function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new HearthError("bad_input", `${flag}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: "check the path",
    });
  }
}

/** --json-schema FILE / --grammar FILE as an output constraint (read now, so a bad file fails before loading). */
export function constraintFrom(f: Pick<SamplingFlags, "jsonSchema" | "grammar">): OutputConstraint | undefined {
  if (f.jsonSchema && f.grammar) {
    throw new HearthError("bad_input", "--json-schema and --grammar cannot be used together", { hint: "give one of them" });
  }
  if (f.jsonSchema) {
    const text = readFlagFile("--json-schema", f.jsonSchema);
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (e) {
      throw new HearthError("bad_input", `--json-schema: ${f.jsonSchema} is not valid JSON: ${(e as Error).message}`, {
        hint: "give a JSON schema file",
      });
    }
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      throw new HearthError("bad_input", `--json-schema: ${f.jsonSchema} must hold a JSON object (a schema)`, {
        hint: 'e.g. {"type":"object","properties":{...}}',
      });
    }
    return { type: "json_schema", schema: schema as Record<string, unknown> };
  }
  if (f.grammar) {
    const grammar = readFlagFile("--grammar", f.grammar);
    if (!/::=/.test(grammar)) {
      throw new HearthError("bad_input", `--grammar: ${f.grammar} holds no GBNF rule (name ::= ...)`, {
        hint: 'e.g. root ::= "yes" | "no"',
      });
    }
    return { type: "grammar", grammar };
  }
  return undefined;
}

export function generateOptionsFrom(f: SamplingFlags): GenerateOptions {
  return defined<GenerateOptions>({
    temperature: f.temperature,
    topP: f.topP,
    topK: f.topK,
    minP: f.minP,
    repeatPenalty: f.repeatPenalty,
    presencePenalty: f.presencePenalty,
    frequencyPenalty: f.frequencyPenalty,
    seed: f.seed,
    maxTokens: f.maxTokens,
    stop: f.stop,
    logitBias: f.logitBias,
    ignoreEos: f.ignoreEos,
    constraint: constraintFrom(f),
  });
}
