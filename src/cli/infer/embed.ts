// `hearth infer <embedding-model> -p TEXT...`: one line per text (dimensions, norm, first values),
// or --json with the full vectors.
import pc from "picocolors";
import { Embedder } from "../../sdk/Embedder.ts";
import type { LoadModelOptions } from "../../sdk/types.ts";
import { HearthError } from "../../errors/HearthError.ts";
import { printJson } from "../output.ts";

export interface EmbedInferOptions {
  texts: string[];
  load: LoadModelOptions;
  json?: boolean;
}

function preview(text: string, width = 40): string {
  const one = text.replace(/\s+/g, " ");
  return one.length > width ? `${one.slice(0, width - 1)}…` : one;
}

export async function runEmbedInfer(ref: string, o: EmbedInferOptions): Promise<void> {
  if (o.texts.length === 0) {
    throw new HearthError("bad_input", "no text to embed", { hint: 'give texts with -p "TEXT" (repeatable), -i FILE, or on stdin' });
  }
  const embedder = await Embedder.load(ref, o.load);
  try {
    const r = await embedder.embed(o.texts);
    if (o.json) {
      printJson({
        model: ref,
        dimensions: embedder.dimensions,
        data: r.vectors.map((embedding, index) => ({ index, input: o.texts[index], embedding })),
        usage: { prompt_tokens: r.usage.promptTokens },
        profile: r.profile,
      });
      return;
    }
    r.vectors.forEach((v, i) => {
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      const head = v
        .slice(0, 4)
        .map((x) => x.toFixed(4))
        .join(", ");
      process.stdout.write(
        `${i + 1}. "${preview(o.texts[i])}"  dims ${v.length}  norm ${norm.toFixed(4)}  [${head}${v.length > 4 ? ", …" : ""}]\n`,
      );
    });
    if (o.texts.length > 1) {
      // what embeddings are for: how alike the texts are
      const cos = (a: number[], b: number[]) => {
        let dot = 0,
          na = 0,
          nb = 0;
        for (let k = 0; k < a.length; k++) {
          dot += a[k] * b[k];
          na += a[k] * a[k];
          nb += b[k] * b[k];
        }
        return dot / (Math.sqrt(na * nb) || 1);
      };
      process.stdout.write(`cosine similarity of 1 and 2: ${cos(r.vectors[0], r.vectors[1]).toFixed(4)}\n`);
    }
    process.stderr.write(
      `${pc.dim(`${r.usage.promptTokens} tokens in ${r.profile.totalMs.toFixed(0)} ms${r.profile.device ? `, ${r.profile.device}` : ""}`)}\n`,
    );
  } finally {
    await embedder.dispose();
  }
}
