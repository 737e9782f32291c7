// Every environment variable is read in src/config/env.ts (one home for configuration).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { readEnv } from "../../src/config/env.ts";
import { repoRoot } from "../helpers/cli.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );
}

test("no source file outside src/config/env.ts reads an environment variable", () => {
  const src = path.join(repoRoot, "src");
  const readers = sourceFiles(src)
    .filter((f) => f !== path.join(src, "config", "env.ts"))
    .flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .map((line, i) => ({ f, line, i })),
    )
    .filter(({ line }) => /process\.env(\.[A-Za-z_]|\[)/.test(line))
    .map(({ f, line, i }) => `${path.relative(repoRoot, f)}:${i + 1}: ${line.trim()}`);
  assert.deepEqual(readers, []);
});

test("test-only overrides are parsed in one place; bad or empty values are ignored", () => {
  const t = readEnv({
    HEARTH_TEST_FREE_BYTES: "1000",
    HEARTH_TEST_MEMORY_BYTES: "2e9",
    HEARTH_TEST_ENGINES: " /a/twin.ts, ,/b/other.ts",
    HEARTH_TEST_RUNNER_SLOW: "llama:250",
  }).test;
  assert.deepEqual(t, {
    freeBytes: 1000,
    memoryBytes: 2e9,
    engines: ["/a/twin.ts", "/b/other.ts"],
    runnerSlow: { backend: "llama", ms: 250 },
  });
  const none = readEnv({ HEARTH_TEST_FREE_BYTES: "", HEARTH_TEST_MEMORY_BYTES: "lots", HEARTH_TEST_RUNNER_SLOW: "llama" }).test;
  assert.deepEqual(none, { freeBytes: undefined, memoryBytes: undefined, engines: [], runnerSlow: undefined });
  // 0 free bytes is a real test case (a full disk); 0 memory is not a machine
  assert.equal(readEnv({ HEARTH_TEST_FREE_BYTES: "0", HEARTH_TEST_MEMORY_BYTES: "0" }).test.freeBytes, 0);
  assert.equal(readEnv({ HEARTH_TEST_MEMORY_BYTES: "0" }).test.memoryBytes, undefined);
  assert.deepEqual(readEnv({ LD_LIBRARY_PATH: "/opt/lib::/usr/local/lib" }).libraryPath, ["/opt/lib", "/usr/local/lib"]);
});

test("HEARTH_STREAM_STALL_MS: 200 ms unless set; off turns the cap off; a bad value keeps the default", () => {
  assert.equal(readEnv({}).streamStallMs, 200);
  assert.equal(readEnv({ HEARTH_STREAM_STALL_MS: "0" }).streamStallMs, 0);
  assert.equal(readEnv({ HEARTH_STREAM_STALL_MS: "750" }).streamStallMs, 750);
  assert.equal(readEnv({ HEARTH_STREAM_STALL_MS: "off" }).streamStallMs, undefined);
  for (const bad of ["-5", "soon", ""]) assert.equal(readEnv({ HEARTH_STREAM_STALL_MS: bad }).streamStallMs, 200, bad);
});

test("HEARTH_STREAM_FLUSH_MS: 15 ms unless set; 0 sends each event as it comes; a bad value keeps the default", () => {
  assert.equal(readEnv({}).streamFlushMs, 15);
  assert.equal(readEnv({ HEARTH_STREAM_FLUSH_MS: "0" }).streamFlushMs, 0);
  assert.equal(readEnv({ HEARTH_STREAM_FLUSH_MS: "40" }).streamFlushMs, 40);
  for (const bad of ["-5", "soon", ""]) assert.equal(readEnv({ HEARTH_STREAM_FLUSH_MS: bad }).streamFlushMs, 15, bad);
});
