// Structured output with Zod: the schema constrains what the model may write (a grammar), and the
// answer comes back parsed, validated and typed: `object` is a `Recipe`.
// Run: npx tsx examples/structured-output.ts   (npm install zod first in your own project)
import { z } from "zod";
import { LLM, StructuredOutputError } from "hearth";

const Recipe = z.object({
  dish: z.enum(["pancakes", "omelette", "salad"]),
  vegetarian: z.boolean(),
  ingredients: z
    .array(z.enum(["eggs", "flour", "milk", "butter", "lettuce", "tomato", "cheese"]))
    .min(1)
    .max(5),
});

const llm = await LLM.load(process.env.HEARTH_LLM ?? "qwen3");
try {
  const { object } = await llm.chat([{ role: "user", content: "Suggest a quick breakfast." }], { schema: Recipe, maxTokens: 200 }).result;
  console.log(`${object.dish} (${object.vegetarian ? "vegetarian" : "not vegetarian"}): ${object.ingredients.join(", ")}`);
} catch (e) {
  // the answer did not validate (e.g. cut at maxTokens): the raw text is kept for you to inspect
  if (e instanceof StructuredOutputError) console.error(`${e.message}\nraw answer: ${e.text}`);
  else throw e;
} finally {
  await llm.dispose();
}
