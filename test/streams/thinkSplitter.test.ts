// The <think> splitter gives the same answer and reasoning however the text is cut into chunks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ThinkSplitter } from "../../src/streams/thinkSplitter.ts";

function split(chunks: string[]) {
  const s = new ThinkSplitter();
  const pieces = chunks.flatMap((c) => s.push(c)).concat(s.flush());
  const join = (t: string) =>
    pieces
      .filter((p) => p.type === t)
      .map((p) => p.text)
      .join("");
  assert.equal(join("text"), s.text);
  assert.equal(join("reasoning"), s.reasoning);
  return { text: s.text, reasoning: s.reasoning };
}

const cases: [string, { text: string; reasoning: string }][] = [
  ["<think>\nplan a, then b\n</think>\n\nThe answer is 4.", { text: "The answer is 4.", reasoning: "plan a, then b" }],
  ["  <think>x</think>y", { text: "y", reasoning: "x" }],
  ["No thinking here, <think> later is text", { text: "No thinking here, <think> later is text", reasoning: "" }],
  ["<thin", { text: "<thin", reasoning: "" }],
  ["<think>unfinished thought", { text: "", reasoning: "unfinished thought" }],
  ["", { text: "", reasoning: "" }],
];

test("every way of cutting the stream gives the same parts", () => {
  for (const [input, expected] of cases) {
    assert.deepEqual(split([input]), expected, JSON.stringify(input));
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j += 3) {
        assert.deepEqual(
          split([input.slice(0, i), input.slice(i, j), input.slice(j)]),
          expected,
          `${JSON.stringify(input)} cut at ${i},${j}`,
        );
      }
    }
    assert.deepEqual(split([...input]), expected, `${JSON.stringify(input)} one character at a time`);
  }
});
