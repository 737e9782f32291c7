// A JSON schema as node-llama-cpp's grammar generator reads it. That generator silently ignores what
// it does not know (a `pattern` becomes any string, an `anyOf` collapses to its last branch, an
// unknown `format` forces an empty string, `$ref: "#"` becomes any value), so a schema is rewritten
// where an equivalent exists and refused, naming the path, where the grammar cannot express it.
import type { GbnfJsonSchema } from "node-llama-cpp";
import { HearthError } from "../../errors/HearthError.ts";

type Json = Record<string, unknown>;

/** Keywords the grammar cannot enforce and no rewrite can replace. */
const REFUSED: Record<string, string> = {
  pattern: "a regular expression pattern",
  patternProperties: "regular expression property names",
  propertyNames: "constraints on property names",
  allOf: "allOf (an intersection)",
  not: "not",
  if: "if/then/else",
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's `then` keyword, not a thenable
  then: "if/then/else",
  else: "if/then/else",
  dependentRequired: "dependentRequired",
  dependentSchemas: "dependentSchemas",
  dependencies: "dependencies",
  contains: "contains",
  unevaluatedProperties: "unevaluatedProperties",
  unevaluatedItems: "unevaluatedItems",
};

/** Checked after generation by a Standard Schema's validator (the grammar cannot count or compare). */
const DROPPED = new Set([
  "$schema",
  "$id",
  "$comment",
  "title",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "contentEncoding",
  "contentMediaType",
]);

const FORMATS = new Set(["date-time", "time", "date"]);

/** The schema rewritten for the grammar generator, or a bad_input error naming the first path it cannot express. */
export function grammarJsonSchema(schema: unknown, what = "the JSON schema"): GbnfJsonSchema {
  if (!isObject(schema)) throw refuse(what, "#", "is not an object");
  const root = { ...schema };
  let recursive = false;
  const walk = (node: unknown, at: string): unknown => {
    if (typeof node === "boolean") return node ? {} : refuse(what, at, "is false (no value can match it)");
    if (!isObject(node)) throw refuse(what, at, "is not a schema object");
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      const here = `${at}/${k}`;
      if (REFUSED[k]) {
        if (k === "dependencies" && isObject(v) && Object.keys(v).length === 0) continue;
        throw refuse(what, here, `uses ${REFUSED[k]}, which the grammar cannot enforce`);
      }
      if (DROPPED.has(k) || k.startsWith("x-")) continue;
      if (k === "uniqueItems") {
        if (v === true) throw refuse(what, here, "asks for unique items, which the grammar cannot enforce");
        continue;
      }
      if (k === "format") {
        if (typeof v !== "string" || !FORMATS.has(v))
          throw refuse(what, here, `uses the string format "${v}"; the grammar knows date-time, time and date`);
        out.format = v;
      } else if (k === "$ref") {
        out.$ref = ref(v, here);
      } else if (k === "anyOf" || k === "oneOf") {
        if (!Array.isArray(v) || v.length === 0) throw refuse(what, here, "is not a non-empty list of schemas");
        out.oneOf = v.map((s, i) => walk(s, `${here}/${i}`));
      } else if (k === "properties" || k === "$defs" || k === "definitions") {
        if (!isObject(v)) throw refuse(what, here, "is not an object of schemas");
        const m: Json = {};
        for (const [name, s] of Object.entries(v)) m[name] = walk(s, `${here}/${escapePointerToken(name)}`);
        if (k === "properties") out.properties = m;
        else out.$defs = { ...(out.$defs as Json | undefined), ...m };
      } else if (k === "items" || k === "additionalProperties") {
        out[k] = typeof v === "boolean" ? v : walk(v, here);
      } else if (k === "prefixItems") {
        if (!Array.isArray(v)) throw refuse(what, here, "is not a list of schemas");
        out.prefixItems = v.map((s, i) => walk(s, `${here}/${i}`));
      } else {
        out[k] = v;
      }
    }
    return out;
  };
  const ref = (v: unknown, at: string): string => {
    if (v === "#") {
      recursive = true;
      return "#/$defs/__root";
    }
    if (typeof v === "string") {
      const m = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(v);
      if (m) return `#/$defs/${m[1]}`;
    }
    throw refuse(what, at, `refers to ${JSON.stringify(v)}; the grammar follows only "#" and "#/$defs/<name>"`);
  };
  const body = walk(root, "#") as Json;
  if (!recursive) return body as GbnfJsonSchema;
  // a reference to the root: the root moves into $defs so that the generator can name it
  const { $defs, ...rest } = body;
  return { $defs: { ...($defs as Json | undefined), __root: rest }, $ref: "#/$defs/__root" } as unknown as GbnfJsonSchema;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function escapePointerToken(name: string): string {
  return name.replace(/~/g, "~0").replace(/\//g, "~1");
}

function refuse(what: string, at: string, why: string): HearthError {
  return new HearthError("bad_input", `${what} at ${at} ${why}`, {
    hint: "simplify that part of the schema (validate it after generation instead), or give a GBNF grammar",
  });
}
