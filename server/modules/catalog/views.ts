import type { Lang } from '../../lib/i18n';
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

/** A plan's name and description in a language: the Chinese ones where written, else the English ones. */
export function planTextIn(p: Pick<PlanRow, 'name' | 'nameZh' | 'description' | 'descriptionZh'>, lang: Lang) {
  const zhName = lang === 'zh' && p.nameZh.trim() !== '';
  const zhDescription = lang === 'zh' && p.descriptionZh.trim() !== '';
  const untranslated: ('name' | 'description')[] = [];
  if (lang === 'zh' && !zhName) untranslated.push('name');
  if (lang === 'zh' && !zhDescription && p.description.trim() !== '') untranslated.push('description');
  return { name: zhName ? p.nameZh : p.name, description: zhDescription ? p.descriptionZh : p.description, untranslated };
}

/** The name a buyer sees for a plan id, in a language; the id itself for a plan that no longer exists. */
export function planNameIn(plan: PlanRow | undefined, id: string, lang: Lang): string {
  return plan ? planTextIn(plan, lang).name : id;
}

/** A plan as the pricing page shows it, in the visitor's language, with the request estimate. */
export const planView = (p: PlanRow, lang: Lang, typicalRequests: number) => ({
  id: p.id,
  ...planTextIn(p, lang),
  typical_requests: typicalRequests,
  price_usd: formatUsd(p.priceNano),
  budget_usd: formatUsd(p.budgetNano),
  models: p.models,
  rpm: p.rpm,
  max_concurrency: p.maxConcurrency,
  validity_days: p.validityDays,
});
