// scripts/spawner.ts: the benchmarks' reference programs run from a helper process, so the process
// that holds the SDK's model never forks (a fork makes its next writes fault: docs/benchmarks.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Spawner } from "../../scripts/spawner.ts";

test("a program runs from the helper process, not this one, and its output comes back", async () => {
  const spawner = new Spawner();
  try {
    const { stdout } = await spawner.run("sh", ["-c", "echo $PPID; echo to-stderr >&2"]);
    const parent = Number(stdout.trim());
    assert.ok(parent > 0, stdout);
    assert.notEqual(parent, process.pid, "forked from the helper, not from the measuring process");
    const both = await Promise.all([spawner.run("echo", ["one"]), spawner.run("echo", ["two"])]);
    assert.deepEqual(
      both.map((r) => r.stdout.trim()),
      ["one", "two"],
      "concurrent runs get their own output",
    );
  } finally {
    spawner.close();
  }
});

test("a program that fails rejects with its stderr; a missing one says so", async () => {
  const spawner = new Spawner();
  try {
    await assert.rejects(spawner.run("sh", ["-c", "echo broken >&2; exit 3"]), (e: Error & { stderr?: string }) => {
      assert.match(e.message, /^sh failed/);
      assert.match(e.stderr ?? "", /broken/);
      return true;
    });
    await assert.rejects(spawner.run("/nonexistent/llama-bench", []), /llama-bench failed.*ENOENT/);
  } finally {
    spawner.close();
  }
});
