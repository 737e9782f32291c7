// Tool definitions for `hearth functioncall --tool FILE.json`. A file holds one tool or an array,
// each either OpenAI's {"type":"function","function":{name,description,parameters}} or the bare
// {name,description,parameters}. Anything else is refused with the file and the reason.
import { readFileSync } from "node:fs";
import { HearthError } from "../../errors/HearthError.ts";
import type { GenerateOptions, ToolChoice, ToolDefinition } from "../../sdk/types.ts";

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function malformed(file: string, why: string): HearthError {
  return new HearthError("bad_input", `tool file ${file}: ${why}`, {
    hint: 'a tool is {"type":"function","function":{"name":"...","description":"...","parameters":{"type":"object",...}}}',
  });
}

function toolFrom(file: string, value: unknown, where: string): ToolDefinition {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw malformed(file, `${where} is not an object`);
  let t = value as Record<string, unknown>;
  if (t.type !== undefined && t.type !== "function")
    throw malformed(file, `${where} has type "${String(t.type)}"; only "function" tools exist`);
  if (t.type === "function" || t.function !== undefined) {
    if (typeof t.function !== "object" || t.function === null) throw malformed(file, `${where} has no "function" object`);
    t = t.function as Record<string, unknown>;
  }
  if (typeof t.name !== "string" || !NAME.test(t.name)) {
    throw malformed(file, `${where} needs a "name" of letters, digits, _ . - (got ${JSON.stringify(t.name)})`);
  }
  if (t.description !== undefined && typeof t.description !== "string") throw malformed(file, `${t.name}: "description" must be a string`);
  const p = t.parameters;
  if (p !== undefined && (typeof p !== "object" || p === null || Array.isArray(p))) {
    throw malformed(file, `${t.name}: "parameters" must be a JSON schema object`);
  }
  if (p !== undefined && (p as Record<string, unknown>).type !== undefined && (p as Record<string, unknown>).type !== "object") {
    throw malformed(file, `${t.name}: "parameters" must be a schema of "type": "object"`);
  }
  return { name: t.name, description: t.description as string | undefined, parameters: p as Record<string, unknown> | undefined };
}

/** Reads and checks every tool file; names must be unique across them. */
export function loadToolFiles(files: string[]): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new HearthError("bad_input", `cannot read tool file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: "check the path",
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw malformed(file, `not valid JSON (${(e as Error).message})`);
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    if (list.length === 0) throw malformed(file, "the array holds no tools");
    list.forEach((v, i) => {
      tools.push(toolFrom(file, v, Array.isArray(parsed) ? `tool #${i + 1}` : "the tool"));
    });
  }
  const seen = new Set<string>();
  for (const t of tools) {
    if (seen.has(t.name)) throw new HearthError("bad_input", `two tools are named "${t.name}"`, { hint: "tool names must be unique" });
    seen.add(t.name);
  }
  return tools;
}

/** --tool-choice auto | none | required | NAME (a NAME must be one of the tools). */
export function parseToolChoice(value: string | undefined, tools: ToolDefinition[]): ToolChoice {
  if (value === undefined || value === "auto") return "auto";
  if (value === "none" || value === "required") return value;
  if (tools.some((t) => t.name === value)) return { name: value };
  throw new HearthError("bad_input", `--tool-choice "${value}" is not auto, none, required or a tool's name`, {
    hint: `tools: ${tools.map((t) => t.name).join(", ")}`,
  });
}

/** `infer --tool FILE --tool-choice C` as generate options (nothing when no tool file is given). */
export function toolOptionsFrom(files: string[] | undefined, choice: string | undefined): Pick<GenerateOptions, "tools" | "toolChoice"> {
  if (!files?.length) {
    if (choice !== undefined) throw new HearthError("bad_input", "--tool-choice needs tools", { hint: "give them with --tool FILE.json" });
    return {};
  }
  const tools = loadToolFiles(files);
  return { tools, toolChoice: parseToolChoice(choice, tools) };
}
