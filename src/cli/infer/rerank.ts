// `hearth infer <reranking-model> --query Q --document D...`: documents sorted by relevance score,
// or --json with the same results.
import pc from "picocolors";
import { Reranker } from "../../sdk/Reranker.ts";
import type { LoadModelOptions } from "../../sdk/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { printJson, printTable } from "../output.ts";

export interface RerankInferOptions {
  query?: string;
  documents: string[];
  load: LoadModelOptions;
  json?: boolean;
}

export async function runRerankInfer(ref: string, o: RerankInferOptions): Promise<void> {
  if (!o.query)
    throw new HearthError("bad_input", "a reranker needs a query", { hint: 'give --query "TEXT" and --document "TEXT" (repeatable)' });
  if (o.documents.length === 0) {
    throw new HearthError("bad_input", "no documents to rank", {
      hint: 'give --document "TEXT" (repeatable), -i FILE (one per line) or documents on stdin',
    });
  }
  const reranker = await Reranker.load(ref, o.load);
  try {
    const r = await reranker.rank(o.query, o.documents);
    const results = r.scores.map((score, index) => ({ index, document: o.documents[index], score })).sort((a, b) => b.score - a.score);
    if (o.json) {
      printJson({ model: ref, query: o.query, results, usage: { prompt_tokens: r.usage.promptTokens }, profile: r.profile });
      return;
    }
    printTable([
      ["RANK", "SCORE", "DOC", "DOCUMENT"],
      ...results.map((x, rank) => [String(rank + 1), x.score.toFixed(4), `#${x.index + 1}`, x.document.replace(/\s+/g, " ")]),
    ]);
    process.stderr.write(
      `${pc.dim(`${r.usage.promptTokens} tokens in ${r.profile.totalMs.toFixed(0)} ms${r.profile.device ? `, ${r.profile.device}` : ""}`)}\n`,
    );
  } finally {
    await reranker.dispose();
  }
}
