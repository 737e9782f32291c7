// Child process of llamaKernels.prebuiltKernels: loads a model with node-llama-cpp's prebuilt CPU
// binaries at debug log level and prints the log lines that say which variant and buffers it used.
import { prebuiltDebugLlama } from "../backends/llama/cpuLibrary.ts";

const lines: string[] = [];
const llama = await prebuiltDebugLlama(lines);
const model = await llama.loadModel({ modelPath: process.argv[2]!, gpuLayers: 0 });
// llama.cpp's log lines reach JavaScript through a queue of their own: the buffer lines can arrive
// after the load resolved (a fresh CI run on a busy machine found none)
for (let i = 0; i < 100 && !lines.some((l) => /model buffer size/.test(l)); i++) await new Promise((r) => setTimeout(r, 20));
process.stdout.write(`system_info: CPU : ${llama.systemInfo.replace(/^CPU : /, "")}\n`);
for (const l of lines) if (/load_backend|model buffer size/.test(l)) process.stdout.write(`${l.trim()}\n`);
await model.dispose();
await llama.dispose();
