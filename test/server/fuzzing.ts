// What the fuzz tests share: a seeded generator and the odd values they put where a field goes.

export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const WEIRD: unknown[] = [
  null, true, false, 0, -1, 1.5, -1e308, 1e308, 2 ** 64, Number.MAX_SAFE_INTEGER, "", "x", "x".repeat(50_000), "\u0000\ud800",
  [], [null], [[[[[[]]]]]], {}, { a: { b: { c: {} } } }, ["a", 1, null], { __proto__: { polluted: true } }, { constructor: { prototype: {} } },
  -0, "1e999", "NaN", "Infinity", [1, 2, 3], { type: "nonsense" }, { role: "wizard", content: 5 },
];
