// Retrieval: embed a folder of text files, find the passages nearest to a question, rerank them,
// and answer from the best ones, citing them as [1], [2]...
// Run: npx tsx examples/retrieval.ts [folder] ["question"]   (default folder: examples/docs)
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Embedder, LLM, Reranker } from "hearth";

const folder = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "docs");
const question = process.argv[3] ?? "How does hearth choose where a model runs?";

// 1. split every .txt/.md file into paragraphs, remembering where each came from
const passages = readdirSync(folder)
  .filter((f) => /\.(txt|md)$/.test(f))
  .flatMap((file) =>
    readFileSync(path.join(folder, file), "utf8")
      .split(/\n\s*\n/)
      .map((text) => text.trim())
      .filter(Boolean)
      .map((text) => ({ file, text })),
  );

// 2. embed passages and question; vectors are unit length, so a dot product is the cosine similarity
const embedder = await Embedder.load(process.env.HEARTH_EMBEDDER ?? "bge-small");
const { vectors } = await embedder.embed(passages.map((p) => p.text));
const [q] = (await embedder.embed(question)).vectors;
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const nearest = passages
  .map((p, i) => ({ ...p, similarity: dot(q, vectors[i]) }))
  .sort((a, b) => b.similarity - a.similarity)
  .slice(0, 6);
await embedder.dispose();

// 3. a reranker reads question and passage together: a better order than vectors alone
const reranker = await Reranker.load(process.env.HEARTH_RERANKER ?? "bge-reranker");
const { scores } = await reranker.rank(
  question,
  nearest.map((p) => p.text),
);
const best = nearest
  .map((p, i) => ({ ...p, score: scores[i] }))
  .sort((a, b) => b.score - a.score)
  .slice(0, 3);
await reranker.dispose();

// 4. answer from the numbered passages only, and list the sources
const context = best.map((p, i) => `[${i + 1}] ${p.text}`).join("\n\n");
const llm = await LLM.load(process.env.HEARTH_LLM ?? "qwen3");
const { text } = await llm.chat(
  [
    { role: "system", content: "Answer from the numbered passages only and cite them like [1]." },
    { role: "user", content: `${context}\n\nQuestion: ${question}` },
  ],
  { maxTokens: 200 },
).result;
await llm.dispose();

console.log(text.trim());
console.log("\nSources:");
for (const [i, p] of best.entries()) console.log(`[${i + 1}] ${p.file} (rerank score ${p.score.toFixed(3)}): ${p.text.slice(0, 60)}...`);
