// Chat with streaming: print the answer as it is generated, then the profile hearth measured.
// Run: npx tsx examples/chat-streaming.ts   (HEARTH_LLM picks the model; default: qwen3, pulled on first use)
import { LLM } from "hearth";

const llm = await LLM.load(process.env.HEARTH_LLM ?? "qwen3", {
  // a first run downloads the model: show how far it got
  onProgress: (e) => e.type === "download" && process.stderr.write(`\rdownloading ${((100 * e.doneBytes) / e.totalBytes).toFixed(0)}%`),
});

const stream = llm.chat(
  [
    { role: "system", content: "You are a helpful assistant. Answer briefly." },
    { role: "user", content: "Why is the sky blue?" },
  ],
  { maxTokens: 128 },
);

for await (const chunk of stream) {
  if (chunk.type === "reasoning") process.stdout.write(`\x1b[2m${chunk.text}\x1b[0m`); // a <think> block, dimmed
  if (chunk.type === "text") process.stdout.write(chunk.text);
}
const { profile, usage } = await stream.result;
console.log(
  `\n\n${usage.completionTokens} tokens, first after ${profile.ttftMs?.toFixed(0)} ms, ${profile.decodeTokensPerSec?.toFixed(1)} tokens/s on ${profile.device}`,
);

await llm.dispose();
