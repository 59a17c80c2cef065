import type { Usage } from '../catalog/price-book';

/** Far beyond any context window; a count above it is a broken upstream, and pricing it would overflow exact arithmetic. */
export const MAX_TOKENS_PER_REQUEST = 100_000_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
const optionalCount = (n: unknown) => n === undefined || n === null || isCount(n);
const count = (n: unknown) => (isCount(n) ? Math.min(Math.floor(n), MAX_TOKENS_PER_REQUEST) : 0);

/**
 * DeepSeek's usage object → the ledger's token kinds; a prompt without a hit/miss split is all
 * misses. Null when it is not a usage object (a count missing, negative or of another type):
 * pricing such a thing would bill nothing for work DeepSeek charged.
 */
export function usageFromDeepSeek(usage: unknown): Usage | null {
  if (!isRecord(usage) || !isCount(usage.prompt_tokens) || !isCount(usage.completion_tokens)) return null;
  if (!optionalCount(usage.prompt_cache_hit_tokens) || !optionalCount(usage.prompt_cache_miss_tokens)) return null;
  const promptDetails = usage.prompt_tokens_details ?? {};
  const completionDetails = usage.completion_tokens_details ?? {};
  if (!isRecord(promptDetails) || !optionalCount(promptDetails.cached_tokens)) return null;
  if (!isRecord(completionDetails) || !optionalCount(completionDetails.reasoning_tokens)) return null;
  const prompt = count(usage.prompt_tokens);
  const hit = count(usage.prompt_cache_hit_tokens ?? promptDetails.cached_tokens);
  const miss = isCount(usage.prompt_cache_miss_tokens) ? count(usage.prompt_cache_miss_tokens) : Math.max(0, prompt - hit);
  return {
    cacheHitTokens: hit,
    cacheMissTokens: miss,
    outputTokens: count(usage.completion_tokens),
    reasoningTokens: count(completionDetails.reasoning_tokens),
  };
}

export const ZERO_USAGE: Usage = { cacheHitTokens: 0, cacheMissTokens: 0, outputTokens: 0, reasoningTokens: 0 };
