// Stop strings over streamed text (stopText.ts): what could begin a stop string waits, a stop string
// split over pieces is still found, and nothing of it is ever given out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { StopText } from "../../../src/backends/llama/stopText.ts";

const run = (stops: string[], pieces: string[]) => {
  const s = new StopText(stops);
  const out = pieces.map((p) => s.push(p));
  return { out, rest: s.flush(), stopped: s.stopped };
};

test("text that may begin a stop string waits, and goes out once what follows rules the stop out", () => {
  assert.deepEqual(run(["abc"], ["xa", "b", "d"]), { out: ["x", "", "abd"], rest: "", stopped: false });
  assert.deepEqual(run(["abc"], ["xa"]), { out: ["x"], rest: "a", stopped: false });
});

test("a stop string split over pieces ends the text before it; later pieces give nothing", () => {
  assert.deepEqual(run(["abc"], ["1a", "b", "c2", "3"]), { out: ["1", "", "", ""], rest: "", stopped: true });
  // the stop string that starts first in the text wins, whichever is listed first
  assert.deepEqual(run(["op", "long stop"], ["a long stop"]), { out: ["a "], rest: "", stopped: true });
  assert.deepEqual(run(["\n\n"], ["line\n", "\nnext"]), { out: ["line", ""], rest: "", stopped: true });
});

test("no stop strings: every piece goes out as it comes", () => {
  assert.deepEqual(run([], ["a", "b"]), { out: ["a", "b"], rest: "", stopped: false });
});
