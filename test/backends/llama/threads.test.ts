// Decode threads: one thread where a token is too little work to split, all of them where it is not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeThreadsFor } from "../../../src/backends/llama/threads.ts";

test("small models decode on one thread, large ones on all", () => {
  assert.equal(decodeThreadsFor(1, 8e9), 1);
  assert.equal(decodeThreadsFor(2, 160_000), 1); // tiny fixture
  assert.equal(decodeThreadsFor(2, 371e6), 1); // bench fixture: measured faster on one of two threads
  assert.equal(decodeThreadsFor(8, 4.1e9), 8); // a 7B Q4 model
  assert.equal(decodeThreadsFor(2, 4.1e9), 2);
});

test("a build whose threads persist (local OpenMP build) decodes on all of them", () => {
  assert.equal(decodeThreadsFor(2, 160_000, true), 2);
  assert.equal(decodeThreadsFor(1, 160_000, true), 1);
  assert.equal(decodeThreadsFor(2, 160_000, false), 1);
});
