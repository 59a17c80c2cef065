import { costOf, type TokenPrices } from './price-book';
import type { PlanRow } from './store';

// The pricing page's "about N typical chat requests": a plan's budget over the cost of one typical
// chat turn on the plan's least expensive model, at peak prices (the dearer period, so the estimate
// does not promise more than off-peak use would give).

export const TYPICAL_REQUEST = { inputTokens: 1000, cacheHitTokens: 500, outputTokens: 300, period: 'peak' } as const;

/** What one typical request costs at these prices, in nano-USD. */
export function typicalRequestCost(prices: TokenPrices): number {
  const t = TYPICAL_REQUEST;
  return costOf({ cacheHitTokens: t.cacheHitTokens, cacheMissTokens: t.inputTokens - t.cacheHitTokens, outputTokens: t.outputTokens, reasoningTokens: 0 }, prices);
}

/** Whole typical requests the plan's budget pays for; 0 when none of its models has prices. */
export function typicalRequestsOf(plan: Pick<PlanRow, 'budgetNano' | 'models'>, peakPrices: (modelId: string) => TokenPrices | undefined): number {
  let cheapest = Number.POSITIVE_INFINITY;
  for (const model of plan.models) {
    const prices = peakPrices(model);
    if (prices) cheapest = Math.min(cheapest, typicalRequestCost(prices));
  }
  return Number.isFinite(cheapest) && cheapest > 0 ? Math.floor(plan.budgetNano / cheapest) : 0;
}

/** The assumption, as /api/plans states it. */
export const typicalRequestView = () => ({
  input_tokens: TYPICAL_REQUEST.inputTokens,
  cache_hit_tokens: TYPICAL_REQUEST.cacheHitTokens,
  output_tokens: TYPICAL_REQUEST.outputTokens,
  period: TYPICAL_REQUEST.period,
});
