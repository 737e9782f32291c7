// `npm run docs:api` builds the API reference with TypeDoc and fails on any warning (an undocumented
// export or method, a type the public API uses but does not export, a broken link): it must build
// cleanly into docs/api/, with a page for each SDK class and for the AI SDK provider.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../helpers/cli.ts";

test("npm run docs:api builds the reference without a warning", { timeout: 600_000 }, async () => {
  const out = await new Promise<{ code: number; text: string }>((resolve) => {
    execFile(
      process.execPath,
      ["scripts/docs-api.mjs", "--logLevel", "Info"],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 16 << 20 },
      (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, text: stdout + stderr }),
    );
  });
  assert.equal(out.code, 0, out.text);
  assert.doesNotMatch(out.text, /\[warning\]/, out.text);
  assert.match(out.text, /Found 0 errors and 0 warnings|html generated at/);
  const api = path.join(repoRoot, "docs/api");
  for (const page of [
    "index.html",
    "classes/index.LLM.html",
    "classes/index.StructuredOutputError.html",
    "classes/ai-sdk.HearthLanguageModel.html",
    "functions/index.tool.html",
  ]) {
    assert.ok(existsSync(path.join(api, page)), `${page} in docs/api`);
  }
  const llm = readFileSync(path.join(api, "classes/index.LLM.html"), "utf8");
  for (const method of ["chat", "complete", "runTools", "load"]) assert.match(llm, new RegExp(`id="${method.toLowerCase()}"`, "i"), method);
  assert.match(llm, /typed from the schema/);
});
