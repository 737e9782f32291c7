// Tools in a loop: the model calls a tool, hearth runs its `execute` and hands the result back,
// until the model answers (at most maxSteps generations). Arguments are typed from the Zod schema.
// Run: npx tsx examples/tools-loop.ts
import { z } from "zod";
import { LLM, tool } from "hearth";

const getWeather = tool({
  name: "get_weather",
  description: "The current weather in a city",
  parameters: z.object({ city: z.enum(["Paris", "Tokyo", "Lima"]), unit: z.enum(["celsius", "fahrenheit"]) }),
  // a real program would call a weather service here
  execute: ({ city, unit }) => ({ city, temperature: unit === "celsius" ? 21 : 70, unit, sky: "clear" }),
});

const llm = await LLM.load(process.env.HEARTH_LLM ?? "qwen3");
const result = await llm.runTools([{ role: "user", content: "What's the weather in Paris?" }], {
  tools: [getWeather],
  // make the first step call a tool; afterwards the model decides
  toolChoice: (step) => (step === 0 ? "required" : "auto"),
  maxSteps: 4,
  maxTokens: 160,
});

for (const [i, step] of result.steps.entries()) {
  for (const t of step.toolResults)
    console.log(`step ${i + 1}: ${t.call.name}(${t.call.arguments}) -> ${JSON.stringify(t.output ?? t.error)}`);
}
console.log(`answer after ${result.steps.length} steps: ${result.text}`);
await llm.dispose();
