// `logprobs: true` (non-thinking mode only): per output token, DeepSeek's structure, the same as
// OpenAI's: {token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]} in
// choices[].logprobs.content. Values are deterministic: drawn from the prompt's seed.

import { prng, WORDS } from "./words.ts";

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

export interface TokenLogprob extends TopLogprob {
  top_logprobs: TopLogprob[];
}

const encoder = new TextEncoder();
const bytesOf = (token: string) => Array.from(encoder.encode(token));
/** A log probability in (-max, 0], rounded as the API's are (6 decimals are plenty for a fake). */
const logprobBelow = (rng: () => number, max: number) => -Math.round(((rng() % 1_000_000) / 1_000_000) * max * 1e6) / 1e6;

/** One entry per content piece (each piece is one token); `top` alternatives each, the chosen token first. */
export function contentLogprobs(pieces: readonly string[], top: number, seed: number): TokenLogprob[] {
  const rng = prng(seed ^ 0x10c9b0b5);
  return pieces.map((token) => {
    const logprob = logprobBelow(rng, 2);
    const top_logprobs: TopLogprob[] = [];
    let below = logprob;
    for (let i = 0; i < top; i++) {
      if (i === 0) {
        top_logprobs.push({ token, logprob, bytes: bytesOf(token) });
        continue;
      }
      below = Math.round((below + logprobBelow(rng, 3) - 1e-6) * 1e6) / 1e6;
      let pick = rng() % WORDS.length;
      if (token.trim().toLowerCase() === WORDS[pick]) pick = (pick + 1) % WORDS.length;
      const alternative = `${token.startsWith(" ") ? " " : ""}${WORDS[pick]}`;
      top_logprobs.push({ token: alternative, logprob: below, bytes: bytesOf(alternative) });
    }
    return { token, logprob, bytes: bytesOf(token), top_logprobs };
  });
}
