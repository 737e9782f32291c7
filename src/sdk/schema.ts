// Schemas the SDK accepts wherever a JSON schema goes (structured output, tool parameters): a plain
// JSON schema, or a Standard Schema object (Zod 4, Valibot, ArkType...) that can describe itself as
// JSON Schema (Standard JSON Schema) and validate a value. The JSON Schema drives the grammar; the
// validator checks and types the parsed answer.
import type { StandardJSONSchemaV1, StandardSchemaV1 } from "@standard-schema/spec";
import { HearthError } from "../errors/HearthError.ts";

export type { StandardJSONSchemaV1, StandardSchemaV1 };

/** A Standard Schema that also converts itself to JSON Schema (Zod 4.2+, Valibot with its JSON Schema
 * package, ArkType). `T` is the validated (output) type. */
export type TypedSchema<T = unknown> = StandardSchemaV1<unknown, T> & StandardJSONSchemaV1<unknown, T>;

/** A JSON schema object, as OpenAI's `response_format` and tool `parameters` carry it. */
export type JsonSchema = Record<string, unknown>;

/** What a schema validates to: the schema's output type, or `unknown` for a plain JSON schema. */
export type InferSchema<S> = S extends StandardSchemaV1<unknown, infer T> ? T : unknown;

/** The answer was not the JSON the schema asked for (cut at the token limit, or a value the grammar
 * could not rule out, such as a number out of range). Carries the model's raw text. */
export class StructuredOutputError extends HearthError {
  /** the model's text, unparsed */
  readonly text: string;
  /** what the validator said, one line per problem (empty when the text was not JSON at all) */
  readonly issues: string[];
  constructor(text: string, issues: string[], finishReason: string) {
    const why = issues.length > 0 ? `does not match the schema: ${issues.join("; ")}` : "is not valid JSON";
    super("bad_output", `the model's answer ${why}${finishReason === "length" ? " (generation stopped at the token limit)" : ""}`, {
      hint: finishReason === "length" ? "raise maxTokens" : "retry, or lower the temperature; error.text holds the raw answer",
    });
    this.name = "StructuredOutputError";
    this.text = text;
    this.issues = issues;
  }
}

export function isStandardSchema(s: unknown): s is StandardSchemaV1 {
  return (typeof s === "object" || typeof s === "function") && s !== null && "~standard" in s;
}

/** The JSON Schema of a schema the SDK was given (Standard Schemas describe their input: what the model writes). */
export function toJsonSchema(schema: TypedSchema | JsonSchema, what = "the schema"): JsonSchema {
  if (!isStandardSchema(schema)) {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      throw new HearthError("bad_input", `${what} is not a JSON schema object or a Standard Schema`, {
        hint: "give a Zod 4 schema or a JSON schema object",
      });
    }
    return schema;
  }
  const std = (schema as Partial<TypedSchema>)["~standard"] as Partial<StandardJSONSchemaV1.Props> & StandardSchemaV1.Props;
  if (typeof std.jsonSchema?.input !== "function") {
    throw new HearthError("bad_input", `${what} (a ${std.vendor} schema) cannot describe itself as JSON Schema`, {
      hint: "use a library that implements Standard JSON Schema (Zod 4.2+), or pass its JSON Schema yourself",
    });
  }
  try {
    // 2020-12: $defs and "#/$defs/..." references, which the grammar generator follows
    const { $schema: _, ...rest } = std.jsonSchema.input({ target: "draft-2020-12" });
    return rest;
  } catch (e) {
    throw new HearthError("bad_input", `${what} cannot be turned into JSON Schema: ${e instanceof Error ? e.message : e}`, {
      hint: "transforms, dates and custom checks have no JSON Schema form; describe the JSON the model writes",
      cause: e,
    });
  }
}

/** Parses the answer and validates it against a Standard Schema (plain JSON schemas only parse). */
export async function parseStructured<T>(schema: TypedSchema<T> | JsonSchema, text: string, finishReason: string): Promise<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StructuredOutputError(text, [], finishReason);
  }
  if (!isStandardSchema(schema)) return value as T;
  const result = await (schema as TypedSchema<T>)["~standard"].validate(value);
  if (result.issues) throw new StructuredOutputError(text, result.issues.map(issueLine), finishReason);
  return result.value;
}

function issueLine(issue: StandardSchemaV1.Issue): string {
  const at = (issue.path ?? [])
    .map((p) => (typeof p === "object" ? p.key : p))
    .map(String)
    .join(".");
  return at ? `${at}: ${issue.message}` : issue.message;
}
