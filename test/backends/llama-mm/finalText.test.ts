// llama.node hands a completion's final text over as a C string: the text after a generated NUL is
// lost there, though the streamed pieces carry it. The answer is made whole from the stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import { uncut } from "../../../src/backends/llama-mm/finalText.ts";

test("a final text cut at a NUL is made whole from the streamed pieces", () => {
  // the failing CI run's strings (2026-12-05)
  const streamed = "\uFFFD\uFFFDaa\uFFFD\u0000w\uFFFD\uFFFD\uFFFD\uFFFDk\uFFFDb answerP";
  assert.equal(uncut("\uFFFD\uFFFDaa\uFFFD", streamed), streamed);
  assert.equal(uncut("", "\u0000abc"), "\u0000abc", "a NUL first leaves the engine an empty text");
});

test("otherwise the final text stands: a stream that differs, falls short or runs on without a NUL", () => {
  assert.equal(uncut("abc", "ab"), "abc", "pieces that came late are in the final text");
  assert.equal(uncut("abc", "abcd"), "abc", "a stop string the engine cut off stays cut");
  assert.equal(uncut("answer", "<think>x</think>answer"), "answer", "parsed content is not replaced by the raw stream");
  assert.equal(uncut("ab", "ax\u0000"), "ab");
});
