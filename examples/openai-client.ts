// The official OpenAI client against `hearth serve` (start it first: npx hearth serve qwen3).
// Run: npx tsx examples/openai-client.ts   (HEARTH_URL, HEARTH_SERVED_MODEL, HEARTH_API_KEY if the server has one)
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.HEARTH_URL ?? "http://127.0.0.1:18181/v1",
  apiKey: process.env.HEARTH_API_KEY || "none", // the client insists on one; the server checks it only when started with --api-key
});

const { data: models } = await client.models.list();
console.log(`served: ${models.map((m) => m.id).join(", ")}`);
const model = process.env.HEARTH_SERVED_MODEL ?? models[0].id;

const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Say hello in three languages." }],
  max_tokens: 64,
  stream: true,
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
console.log();
