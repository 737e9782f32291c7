// A diagnostic, not part of hearth: the tiny fixture's 512-token prefill in the SDK, back to back or
// with a child process run from this process before each (CMD, e.g. CMD=true), and the page faults,
// context switches and CPU time each prefill took. A fork marks this process's writable pages
// copy-on-write, so the prefill after it faults on them (docs/benchmarks.md, "2026-12-04 (evening)").
//   node --import tsx scripts/diagnostics/fork-faults.mts [threads]     # back to back
//   CMD=true node --import tsx scripts/diagnostics/fork-faults.mts      # a fork before each
import { execSync } from "node:child_process";
import { LLM } from "../../src/sdk/LLM.ts";
import { ensureFixture } from "../../fixtures/index.ts";

const llm = await LLM.load(await ensureFixture("tiny"), { threads: Number(process.argv[2] ?? 1), contextSize: 1088 });
const words = "the of and to in is that it for on with as was at by be this are from or have an not you your".split(" ");
// texts of 511 tokens (512 with the beginning-of-text token), each different from its first word on
const texts: string[] = [];
for (let i = 0; texts.length < 6 && i < 26; i++) {
  let text = words[i];
  for (let j = 0; (await llm.tokenize(text)).length < 511; j++) text += ` ${words[(i * 7 + j * 3) % words.length]}`;
  if ((await llm.tokenize(text)).length === 511) texts.push(text);
}
for (let i = 0; i < 8; i++) {
  if (process.env.CMD) execSync(process.env.CMD, { stdio: "ignore" });
  const u0 = process.resourceUsage();
  const r = await llm.complete(texts[i % texts.length], { temperature: 0, maxTokens: 1 }).result;
  const u1 = process.resourceUsage();
  const cpuMs = (u1.userCPUTime + u1.systemCPUTime - u0.userCPUTime - u0.systemCPUTime) / 1000;
  console.log(
    `prefill ${Math.round(r.profile.prefillTokensPerSec ?? 0)} tok/s, ${u1.minorPageFault - u0.minorPageFault} page faults, ` +
      `${u1.voluntaryContextSwitches - u0.voluntaryContextSwitches} context switches, ${cpuMs.toFixed(1)} ms CPU`,
  );
}
await llm.dispose();
