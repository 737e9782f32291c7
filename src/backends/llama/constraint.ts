// Constrained output (GBNF grammar, JSON schema, any JSON object) as node-llama-cpp grammars.
import type { Llama, LlamaGrammar } from "node-llama-cpp";
import type { OutputConstraint } from "../../model/tasks/text.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { grammarJsonSchema } from "./jsonSchemaGrammar.ts";

export async function grammarFor(llama: Llama, c: OutputConstraint | undefined): Promise<LlamaGrammar | undefined> {
  if (!c) return undefined;
  // refused before node-llama-cpp sees it, with the path of what the grammar cannot express
  const schema = c.type === "json_schema" ? grammarJsonSchema(c.schema) : undefined;
  try {
    if (c.type === "grammar") return await llama.createGrammar({ grammar: c.grammar });
    if (c.type === "json_schema") return await llama.createGrammarForJsonSchema(schema as never);
    return await llama.getGrammarFor("json");
  } catch (e) {
    const what = c.type === "grammar" ? "GBNF grammar" : "JSON schema";
    throw new HearthError("bad_input", `the ${what} cannot be used: ${e instanceof Error ? e.message.split("\n")[0] : e}`, {
      hint:
        c.type === "grammar"
          ? 'check the grammar syntax (llama.cpp GBNF, root rule "root")'
          : "use a JSON schema of types, properties, items, enum, const, oneOf, $ref",
      cause: e,
    });
  }
}
