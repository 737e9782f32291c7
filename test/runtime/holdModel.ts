// Child script for runner.test.ts: loads the whisper fixture in a runner, prints the runner's pid,
// then waits to be killed.
import path from "node:path";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import { loadModel } from "../../src/runtime/load.ts";

const primary = await ensureWhisperFixture();
const model = await loadModel({ dir: path.dirname(primary), primary, format: "ggml", type: "asr" }, { isolate: true, threads: 1 });
process.stdout.write(`${model.runnerPid}\n`);
setInterval(() => undefined, 60_000);
