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

test("with persistent threads (local OpenMP build) a model splits unless a token is too little work", () => {
  assert.equal(decodeThreadsFor(2, 371e6, true), 2); // bench fixture: 19.1 -> 14.1 ms/token on two
  assert.equal(decodeThreadsFor(2, 160_000, true), 1); // tiny fixture: 0.40 ms on one, 0.65 on two
  assert.equal(decodeThreadsFor(1, 371e6, true), 1);
  assert.equal(decodeThreadsFor(2, 371e6, false), 1);
});
