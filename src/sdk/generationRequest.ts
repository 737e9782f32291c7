// SDK generation options as the engine's request fields: Standard Schemas become JSON Schema (for
// tool parameters, `constraint` and `schema`), `execute` functions stay behind (they cannot cross
// into a runner process), the rest is sampling.
import type { OutputConstraint, SamplingOptions, ToolChoice, ToolDefinition } from "../model/tasks/text.ts";
import { toJsonSchema } from "./schema.ts";
import type { GenerateOptions, StructuredOptions, Tool } from "./types.ts";
import type { JsonSchema, TypedSchema } from "./schema.ts";

export interface EngineGenerationFields {
  sampling: SamplingOptions;
  constraint?: OutputConstraint;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  signal?: AbortSignal;
}

export function toToolDefinition(t: Tool | ToolDefinition): ToolDefinition {
  const { name, description, parameters } = t;
  return {
    name,
    description,
    parameters: parameters === undefined ? undefined : toJsonSchema(parameters, `the parameters of tool "${name}"`),
  };
}

/** The engine's fields for a generation; `schema` (structured output) becomes a JSON-schema constraint. */
export function engineFields(options: GenerateOptions | StructuredOptions<TypedSchema | JsonSchema>): EngineGenerationFields {
  const { signal, constraint, tools, toolChoice, parallelToolCalls, schema, ...sampling } = options as GenerateOptions & {
    schema?: TypedSchema | JsonSchema;
  };
  let engineConstraint: OutputConstraint | undefined;
  if (schema !== undefined) engineConstraint = { type: "json_schema", schema: toJsonSchema(schema, "the output schema") };
  else if (constraint?.type === "json_schema")
    engineConstraint = { type: "json_schema", schema: toJsonSchema(constraint.schema, "the output schema") };
  else engineConstraint = constraint;
  return { sampling, constraint: engineConstraint, tools: tools?.map(toToolDefinition), toolChoice, parallelToolCalls, signal };
}
