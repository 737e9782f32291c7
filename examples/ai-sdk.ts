// The Vercel AI SDK with hearth as its provider, in this process (no server): generateText and
// streamText from the `ai` package, running a local model.
// Run: npx tsx examples/ai-sdk.ts   (npm install ai first in your own project)
import { generateText, streamText } from "ai";
import { createHearth } from "hearth/ai-sdk";

// load options apply to every model the provider loads; the model loads on first use
const hearth = createHearth({ load: { contextSize: 4096 } });
const model = hearth(process.env.HEARTH_LLM ?? "qwen3");

const { text, usage, providerMetadata } = await generateText({ model, prompt: "Name three primary colours.", maxOutputTokens: 64 });
console.log(text.trim());
console.log(`usage: ${usage.inputTokens} in, ${usage.outputTokens} out; hearth profile:`, providerMetadata?.hearth);

const stream = streamText({ model, prompt: "Count to five.", maxOutputTokens: 48 });
for await (const delta of stream.textStream) process.stdout.write(delta);
console.log();

await hearth.dispose(); // the provider's models stay loaded until then
