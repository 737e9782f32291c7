// What the fuzz tests share: a seeded generator and the odd values they put where a field goes.
import { seededRandom } from "../../src/bench/prompt.ts";

/** The same seeded generator the benchmarks use (mulberry32). */
export const prng = seededRandom;

export const WEIRD: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -1e308,
  1e308,
  2 ** 64,
  Number.MAX_SAFE_INTEGER,
  "",
  "x",
  "x".repeat(50_000),
  "\u0000\ud800",
  [],
  [null],
  [[[[[[]]]]]],
  {},
  { a: { b: { c: {} } } },
  ["a", 1, null],
  { __proto__: { polluted: true } },
  { constructor: { prototype: {} } },
  -0,
  "1e999",
  "NaN",
  "Infinity",
  [1, 2, 3],
  { type: "nonsense" },
  { role: "wizard", content: 5 },
];
