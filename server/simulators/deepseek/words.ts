// The simulator's vocabulary and its PRNG: every output word is one token, drawn
// deterministically from the prompt's hash.

export const WORDS: readonly string[] = [
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
  "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
  "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray",
  "yankee", "zulu", "amber", "river", "stone", "cloud", "maple", "cedar",
  "ocean", "meadow", "harbor", "lantern", "copper", "silver", "garden", "window",
  "bridge", "candle", "forest", "valley", "summit", "prairie", "canyon", "island",
  "orchard", "thunder", "breeze", "comet", "planet", "marble", "pepper", "velvet",
  "willow", "falcon", "otter", "badger", "raven", "tulip", "saffron", "glacier",
];

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function word(rng: () => number): string {
  return WORDS[rng() % WORDS.length]!;
}
