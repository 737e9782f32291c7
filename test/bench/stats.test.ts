import { test } from "node:test";
import assert from "node:assert/strict";
import { median, percentile, summarize } from "../../src/bench/stats.ts";

test("median of 1, 2 and 5 samples", () => {
  assert.equal(median([7]), 7);
  assert.equal(median([10, 4]), 7); // mean of the two middle samples
  assert.equal(median([5, 1, 4, 2, 3]), 3);
  assert.equal(median([]), undefined);
});

test("p95 is nearest-rank: a measured sample, the worst one with few samples", () => {
  assert.equal(percentile([7], 95), 7);
  assert.equal(percentile([10, 4], 95), 10);
  assert.equal(percentile([5, 1, 4, 2, 3], 95), 5);
  // with 20 samples rank ceil(0.95*20) = 19: the second worst
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.equal(percentile(twenty, 95), 19);
  assert.equal(percentile(twenty, 50), 10);
  assert.throws(() => percentile([1], 0), RangeError);
});

test("summaries: p95 is the bad tail (high for times, low for rates); non-finite samples are ignored", () => {
  const times = summarize([12, 10, 30, 11, 13]);
  assert.deepEqual(times && { ...times, mean: Math.round(times.mean * 10) / 10 }, {
    n: 5,
    median: 12,
    p95: 30,
    min: 10,
    max: 30,
    mean: 15.2,
  });
  const rates = summarize([100, 90, 40, 95, 98], "higher-is-better")!;
  assert.equal(rates.median, 95);
  assert.equal(rates.p95, 40);
  const one = summarize([3], "higher-is-better")!;
  assert.deepEqual([one.median, one.p95, one.min, one.max], [3, 3, 3, 3]);
  const two = summarize([2, 6])!;
  assert.deepEqual([two.median, two.p95], [4, 6]);
  assert.equal(summarize([NaN, Infinity]), undefined);
  assert.equal(summarize([1, NaN, 3])!.n, 2);
});
