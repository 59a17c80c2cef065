import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { ModelList, PlanList, SiteView } from './model';
import { planView, pricesPerMillion } from './views';

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
          mail_enabled: config.mail !== undefined,
          paypal_mode: config.paypal.mode,
          current_period: deps.catalog.periodAt(new Date(deps.clock.now())),
        };
      },
      { response: SiteView, detail: { tags: ['Checkout'], summary: "The operator's site name, disclaimer, support contact and whether checkout is on" } },
    )
    .get(
      '/api/plans',
      () => ({ data: deps.catalog.plans().map(planView) }),
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
            per_million_tokens: { peak: pricesPerMillion(catalog.pricesFor(m.id, 'peak')), off_peak: pricesPerMillion(catalog.pricesFor(m.id, 'off_peak')) },
          })),
          current_period: catalog.periodAt(new Date(deps.clock.now())),
          schedule: { time_zone: schedule.timeZone, peak_windows: schedule.peakWindows, holidays: schedule.holidays },
        };
      },
      { response: ModelList, detail: { tags: ['Checkout'], summary: 'Public models and their prices per 1M tokens' } },
    );
