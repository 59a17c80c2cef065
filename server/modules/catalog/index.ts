import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { formatUsd } from '../../lib/money';
import { ModelList, PlanList, SiteView } from './model';
import type { TokenPrices } from './price-book';

const perMillion = (p: TokenPrices) => ({
  cache_hit_usd: formatUsd(p.cacheHitNano * 1_000_000),
  cache_miss_usd: formatUsd(p.cacheMissNano * 1_000_000),
  output_usd: formatUsd(p.outputNano * 1_000_000),
});

export const catalogModule = (deps: Deps) =>
  new Elysia({ name: 'catalog' })
    .get(
      '/api/site',
      () => {
        const site = deps.site.get();
        const { config } = deps;
        return {
          site_name: site.siteName,
          disclaimer: site.disclaimer,
          support_contact: site.supportContact,
          public_url: config.publicUrl,
          api_base_url: `${config.publicUrl}/v1`,
          checkout_enabled: Boolean(config.paypal.clientId && config.paypal.clientSecret),
          paypal_mode: config.paypal.mode,
          current_period: deps.catalog.periodAt(new Date(deps.clock.now())),
        };
      },
      { response: SiteView, detail: { tags: ['Checkout'], summary: "The operator's site name, disclaimer, support contact and whether checkout is on" } },
    )
    .get(
      '/api/plans',
      () => ({
        data: deps.catalog.plans().map((p) => ({
          id: p.id,
          name: p.name,
          description: p.description,
          price_usd: formatUsd(p.priceNano),
          budget_usd: formatUsd(p.budgetNano),
          models: p.models,
          rpm: p.rpm,
          max_concurrency: p.maxConcurrency,
          validity_days: p.validityDays,
        })),
      }),
      { response: PlanList, detail: { tags: ['Checkout'], summary: 'Plans on sale' } },
    )
    .get(
      '/api/models',
      () => {
        const { catalog } = deps;
        const schedule = catalog.schedule();
        const aliases = catalog.aliasesByModel();
        return {
          data: catalog.models().map((m) => ({
            id: m.id,
            name: m.displayName,
            max_output_tokens: m.maxOutputTokens,
            aliases: aliases.get(m.id) ?? [],
            per_million_tokens: { peak: perMillion(catalog.pricesFor(m.id, 'peak')), off_peak: perMillion(catalog.pricesFor(m.id, 'off_peak')) },
          })),
          current_period: catalog.periodAt(new Date(deps.clock.now())),
          schedule: { time_zone: schedule.timeZone, peak_windows: schedule.peakWindows, holidays: schedule.holidays },
        };
      },
      { response: ModelList, detail: { tags: ['Checkout'], summary: 'Public models and their prices per 1M tokens' } },
    );
