// Formats hearth can name but no engine here runs (MLX, NexaSDK's .nexa, a plain safetensors
// checkpoint): `pull`, `show` and `infer` say so plainly, and what to use instead, before any weights
// are downloaded; `pull --force` downloads anyway. Through the real CLI against the mock hub.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useMockHub } from "../helpers/mockHub.ts";
import { runHearth } from "../helpers/cli.ts";
import { baseModelName, hasMlxQuantization } from "../../src/store/foreignFormats.ts";

const mock = useMockHub("hearth-foreign-");
const newHome = () => mock.newHome();
const envFor = (home: string) => mock.envFor(home);
const errorLine = (stderr: string) => stderr.split("\n").find((l) => l.startsWith("error:")) ?? stderr;

const CASES = [
  { repo: "hearth-test/Tiny-Chat-MLX-4bit", format: "mlx", says: /is an MLX model .*no engine for mlx models on this platform/ },
  { repo: "hearth-test/Tiny-Chat-MLX-bf16", format: "mlx", says: /is an MLX model/ },
  { repo: "hearth-test/Tiny-Chat-nexa", format: "nexa", says: /is a NexaSDK model \(\.nexa files\).*no engine for nexa models/ },
  { repo: "hearth-test/Tiny-Chat", format: "safetensors", says: /is a safetensors checkpoint .*no engine for safetensors models/ },
];

test("pull refuses each format before downloading weights, names it, and says what to use instead", async () => {
  for (const c of CASES) {
    const home = newHome();
    mock.hub.reset();
    const r = await runHearth(["pull", c.repo], { env: envFor(home) });
    assert.notEqual(r.code, 0, `${c.repo}: ${r.stdout}`);
    assert.match(errorLine(r.stderr), c.says, c.repo);
    assert.match(r.stderr, /use a GGUF or ONNX repo of the same model \(search huggingface\.co for "Tiny-Chat GGUF"\)/);
    assert.equal(mock.hub.bytesServed(".safetensors") + mock.hub.bytesServed(".nexa"), 0, `${c.repo}: no weights downloaded`);
    const list = await runHearth(["list", "--json"], { env: envFor(home) });
    assert.deepEqual(
      JSON.parse(list.stdout).filter((m: { embedded: boolean }) => !m.embedded),
      [],
    );
  }
});

test("pull --list-quants names the format; show and infer of a repo not pulled say there is no engine for it", async () => {
  const home = newHome();
  const listed = await runHearth(["pull", "hearth-test/Tiny-Chat-MLX-4bit", "--list-quants"], { env: envFor(home) });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /\(mlx\)/);
  mock.hub.reset();
  const show = await runHearth(["show", "hearth-test/Tiny-Chat-nexa"], { env: envFor(home) });
  assert.notEqual(show.code, 0);
  assert.match(errorLine(show.stderr), /no engine for nexa models on this platform/);
  const infer = await runHearth(["infer", "hearth-test/Tiny-Chat-MLX-4bit", "-p", "hi"], { env: envFor(home) });
  assert.notEqual(infer.code, 0);
  assert.match(errorLine(infer.stderr), /is an MLX model .*no engine for mlx models/);
  assert.equal(mock.hub.bytesServed(".safetensors") + mock.hub.bytesServed(".nexa"), 0);
});

test("pull --force downloads anyway; show then says no engine runs it, and infer refuses it in one line", async () => {
  const home = newHome();
  const r = await runHearth(["pull", "hearth-test/Tiny-Chat-MLX-4bit", "--force"], { env: envFor(home) });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(mock.hub.bytesServed("model.safetensors") > 0);
  const show = await runHearth(["show", "hearth-test/Tiny-Chat-MLX-4bit", "--json"], { env: envFor(home) });
  assert.equal(show.code, 0, show.stderr);
  const d = JSON.parse(show.stdout);
  assert.deepEqual([d.format, d.engines], ["mlx", []]);
  const table = await runHearth(["show", "hearth-test/Tiny-Chat-MLX-4bit"], { env: envFor(home) });
  assert.match(table.stdout, /engines\s+none: hearth has no engine for mlx llm models on this platform/);
  const infer = await runHearth(["infer", "hearth-test/Tiny-Chat-MLX-4bit", "-p", "hi"], { env: envFor(home) });
  assert.notEqual(infer.code, 0);
  assert.match(errorLine(infer.stderr), /hearth has no engine for mlx models on this platform/);
});

test("MLX quantisation is told from Transformers' own; the suggested search drops org and format suffixes", () => {
  assert.equal(hasMlxQuantization({ quantization: { group_size: 64, bits: 4 } }), true);
  assert.equal(hasMlxQuantization({ quantization_config: { quant_method: "awq", bits: 4, group_size: 128 } }), false);
  assert.equal(hasMlxQuantization({ model_type: "llama" }), false);
  assert.equal(baseModelName("mlx-community/Qwen3-0.6B-4bit"), "Qwen3-0.6B");
  assert.equal(baseModelName("org/Llama-3.2-1B-Instruct-MLX-bf16"), "Llama-3.2-1B-Instruct");
});
