import { test } from "node:test";
import assert from "node:assert/strict";
import { currentRss, peakRss, resetPeakRss } from "../../src/bench/memory.ts";

test("peak resident memory sees an allocation, and a reset starts the next cell's peak from now", () => {
  const before = peakRss()!;
  const a = Buffer.alloc(150e6, 1);
  assert.ok(peakRss()! >= before + 140e6 || peakRss()! >= 150e6, "the 150 MB just touched are in the peak");
  if (process.platform !== "linux" || !resetPeakRss()) return;
  const now = currentRss()!;
  assert.ok(Math.abs(peakRss()! - now) < 20e6, "right after a reset the peak is the current size");
  const b = Buffer.alloc(100e6, 2);
  assert.ok(peakRss()! >= now + 90e6, "a new allocation raises the new peak");
  assert.equal(a[0] + b[0], 3);
});
