import { formatUsd } from '../../lib/money';
import type { TokenPrices } from './price-book';
import type { PlanRow } from './store';

// The catalog's JSON shapes, shared by its public routes and the admin API.

/** nano-USD per token → USD per 1M tokens, as the CONTRACT's money fields. */
export const pricesPerMillion = (p: TokenPrices) => ({
  cache_hit_usd: formatUsd(p.cacheHitNano * 1_000_000),
  cache_miss_usd: formatUsd(p.cacheMissNano * 1_000_000),
  output_usd: formatUsd(p.outputNano * 1_000_000),
});

/** A plan as the pricing page shows it. */
export const planView = (p: PlanRow) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  price_usd: formatUsd(p.priceNano),
  budget_usd: formatUsd(p.budgetNano),
  models: p.models,
  rpm: p.rpm,
  max_concurrency: p.maxConcurrency,
  validity_days: p.validityDays,
});
