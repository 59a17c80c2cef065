import type { ServerToolCalls, Usage } from '../catalog/price-book';

// One usage mapper per protocol: DeepSeek's usage object, in each protocol's own field names,
// to the ledger's kinds (cache hit, cache miss, output, reasoning, server-tool calls).

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
  return withServerTools(
    {
      cacheHitTokens: hit,
      cacheMissTokens: miss,
      outputTokens: count(usage.completion_tokens),
      reasoningTokens: count(completionDetails.reasoning_tokens),
    },
    usage,
  );
}

/**
 * Anthropic Messages' usage: `input_tokens` is the cache miss, `cache_read_input_tokens` the hit
 * (the three input buckets do not overlap), `cache_creation_input_tokens` bills as miss (DeepSeek
 * has no cache-write price; it is normally 0), `output_tokens` includes thinking.
 */
export function usageFromAnthropic(usage: unknown): Usage | null {
  if (!isRecord(usage) || !isCount(usage.input_tokens) || !isCount(usage.output_tokens)) return null;
  if (!optionalCount(usage.cache_read_input_tokens) || !optionalCount(usage.cache_creation_input_tokens)) return null;
  return withServerTools(
    {
      cacheHitTokens: count(usage.cache_read_input_tokens),
      cacheMissTokens: count(usage.input_tokens) + count(usage.cache_creation_input_tokens),
      outputTokens: count(usage.output_tokens),
      reasoningTokens: 0,
    },
    usage,
  );
}

/** The input fields of an Anthropic usage object (message_start's), for a later message_delta to complete. */
export const ANTHROPIC_INPUT_FIELDS = ['input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const;

/**
 * A stream's usage: message_start's input fields, the LAST message_delta's output (a running
 * total, never summed); input fields the message_delta repeats win over message_start's, never added.
 */
export function anthropicStreamUsage(start: Record<string, unknown> | undefined, delta: unknown): Usage | null {
  if (!isRecord(delta)) return null;
  const merged: Record<string, unknown> = { ...delta };
  for (const field of ANTHROPIC_INPUT_FIELDS) if (merged[field] === undefined || merged[field] === null) merged[field] = start?.[field];
  return usageFromAnthropic(merged);
}

/** Responses' usage: `input_tokens` INCLUDES `input_tokens_details.cached_tokens` (miss = input − cached); output includes reasoning. */
export function usageFromResponses(usage: unknown): Usage | null {
  if (!isRecord(usage) || !isCount(usage.input_tokens) || !isCount(usage.output_tokens)) return null;
  const inputDetails = usage.input_tokens_details ?? {};
  const outputDetails = usage.output_tokens_details ?? {};
  if (!isRecord(inputDetails) || !optionalCount(inputDetails.cached_tokens)) return null;
  if (!isRecord(outputDetails) || !optionalCount(outputDetails.reasoning_tokens)) return null;
  const input = count(usage.input_tokens);
  const hit = Math.min(count(inputDetails.cached_tokens), input);
  return withServerTools(
    { cacheHitTokens: hit, cacheMissTokens: input - hit, outputTokens: count(usage.output_tokens), reasoningTokens: count(outputDetails.reasoning_tokens) },
    usage,
  );
}

/**
 * DeepSeek's server-tool calls, the same on every protocol's usage:
 * `server_tool_use: {web_search_requests, web_fetch_requests}`; anything else there is ignored.
 */
function withServerTools(usage: Usage, raw: Record<string, unknown>): Usage {
  const use = raw.server_tool_use;
  if (!isRecord(use)) return usage;
  const calls: ServerToolCalls = {};
  if (isCount(use.web_search_requests) && use.web_search_requests > 0) calls.web_search = count(use.web_search_requests);
  if (isCount(use.web_fetch_requests) && use.web_fetch_requests > 0) calls.read_url = count(use.web_fetch_requests);
  return Object.keys(calls).length > 0 ? { ...usage, serverTools: calls } : usage;
}

export const ZERO_USAGE: Usage = { cacheHitTokens: 0, cacheMissTokens: 0, outputTokens: 0, reasoningTokens: 0 };
