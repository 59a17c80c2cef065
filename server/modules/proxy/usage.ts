import type { Usage } from '../catalog/price-book';

export interface DeepSeekUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_cache_hit_tokens?: number;
  prompt_cache_miss_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** Far beyond any context window; a count above it is a broken upstream, and pricing it would overflow exact arithmetic. */
export const MAX_TOKENS_PER_REQUEST = 100_000_000;

const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), MAX_TOKENS_PER_REQUEST) : 0);

/** DeepSeek's usage object → the ledger's token kinds; a prompt without a hit/miss split is all misses. */
export function usageFromDeepSeek(usage: DeepSeekUsage): Usage {
  const prompt = count(usage.prompt_tokens);
  const hit = count(usage.prompt_cache_hit_tokens ?? usage.prompt_tokens_details?.cached_tokens);
  const miss = usage.prompt_cache_miss_tokens !== undefined ? count(usage.prompt_cache_miss_tokens) : Math.max(0, prompt - hit);
  return {
    cacheHitTokens: hit,
    cacheMissTokens: miss,
    outputTokens: count(usage.completion_tokens),
    reasoningTokens: count(usage.completion_tokens_details?.reasoning_tokens),
  };
}

export const ZERO_USAGE: Usage = { cacheHitTokens: 0, cacheMissTokens: 0, outputTokens: 0, reasoningTokens: 0 };
