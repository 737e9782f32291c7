// Execution providers: probed by really creating a session (CPU always works; the others say why
// not), and a load walks the requested order, recording what it skipped and why.
import { test } from "node:test";
import assert from "node:assert/strict";
import createBackend from "../../../src/backends/onnx/index.ts";
import { ensureYoloFixture } from "../../../fixtures/yolo.ts";
import { PROVIDERS_BY_DEVICE } from "../../../src/backends/onnx/providers.ts";

const files = () => ({ dir: "", primary: ensureYoloFixture(), format: "onnx" as const, type: "cv" as const });

test("probe lists every provider of interest; CPU initialises, others give a reason", async () => {
  const backend = await createBackend();
  const probes = await backend.probe();
  const all = Object.values(PROVIDERS_BY_DEVICE).flat();
  assert.deepEqual(probes.map((p) => p.api).sort(), [...all].sort());
  assert.ok(probes.find((p) => p.api === "cpu")?.available);
  for (const p of probes) if (!p.available) assert.ok(p.reason && p.reason.length > 5, `${p.api} has no reason`);
});

test("a load walks the provider order and reports what it skipped", async () => {
  const backend = await createBackend();
  const probes = await backend.probe();
  const unavailable = probes.filter((p) => !p.available).map((p) => p.api);
  const model = await backend.load(files(), { device: "cpu", threads: 1, extra: { executionProviders: [...unavailable, "cpu"] } });
  try {
    assert.equal(model.info.api, "cpu");
    assert.equal(model.info.device, "cpu");
    const tried = model.info.settings.providersTried as Array<{ provider: string; reason: string }>;
    assert.deepEqual(
      tried.map((t) => t.provider),
      unavailable,
    );
  } finally {
    await model.dispose();
  }
});

test("only unavailable providers and no CPU: backend_unavailable, with a hint", async () => {
  const backend = await createBackend();
  const unavailable = (await backend.probe()).filter((p) => !p.available).map((p) => p.api);
  if (unavailable.length === 0) return; // every provider works on this machine: nothing to refuse
  await assert.rejects(
    backend.load(files(), { device: "npu", threads: 1, extra: { executionProviders: unavailable } }),
    (e: Error & { code?: string; hint?: string }) => e.code === "backend_unavailable" && /cpu/.test(e.hint ?? ""),
  );
});

test("a task the model does not do is refused", async () => {
  const backend = await createBackend();
  const model = await backend.load(files(), { device: "cpu", threads: 1 });
  try {
    const run = async () => {
      for await (const _ of model.run({ task: "ocr", image: new Uint8Array(8) })) {
        /* none */
      }
    };
    await assert.rejects(run, (e: Error & { code?: string }) => e.code === "unsupported_task");
  } finally {
    await model.dispose();
  }
});
