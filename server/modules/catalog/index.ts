import { Elysia, t } from 'elysia';
import type { Deps } from '../../deps';
import { Err } from '../../errors';
import { requestLang, type Lang } from '../../lib/i18n';
import { typicalRequestsOf, typicalRequestView } from './estimate';
import { LangQuery, ModelList, PlanList, PolicyView, SiteView } from './model';
import { textIn, type SiteSettings, type TranslatedText } from './site';
import { planView, pricesPerMillion } from './views';

// The public catalog: the site's texts, plans, models and prices, and the policy pages. The
// operator's texts come in the visitor's language (?lang= first, then Accept-Language), in English
// where no Chinese one is written; `untranslated` names those that fell back.

const SITE_FIELDS: Record<TranslatedText, string> = {
  disclaimer: 'disclaimer',
  supportContact: 'support_contact',
  announcement: 'announcement',
  terms: 'terms',
  privacy: 'privacy',
  refunds: 'refunds',
};

const POLICIES = ['terms', 'privacy', 'refunds'] as const;
type Policy = (typeof POLICIES)[number];

const LANG_NOTE = 'In the visitor\'s language: `?lang=en|zh` first, then Accept-Language (zh… → Chinese), else English. A text the operator wrote only in English comes in English and is named in `untranslated`.';

/** {site} and {contact} in an operator's text, filled in. */
function filled(text: string, site: SiteSettings, lang: Lang): string {
  return text.replaceAll('{site}', site.siteName).replaceAll('{contact}', textIn(site, 'supportContact', lang).text);
}

export const catalogModule = (deps: Deps) =>
  new Elysia({ name: 'catalog' })
    .get(
      '/api/site',
      ({ request }) => {
        const site = deps.site.get();
        const lang = requestLang(request);
        const { config } = deps;
        const untranslated: string[] = [];
        const text = (field: 'disclaimer' | 'supportContact' | 'announcement') => {
          const { text, fallback } = textIn(site, field, lang);
          if (fallback) untranslated.push(SITE_FIELDS[field]);
          return text;
        };
        return {
          site_name: site.siteName,
          lang,
          disclaimer: text('disclaimer'),
          support_contact: text('supportContact'),
          announcement: text('announcement'),
          untranslated,
          public_url: config.publicUrl,
          api_base_url: `${config.publicUrl}/v1`,
          checkout_enabled: Boolean(config.paypal.clientId && config.paypal.clientSecret),
          mail_enabled: config.mail !== undefined,
          paypal_mode: config.paypal.mode,
          current_period: deps.catalog.periodAt(new Date(deps.clock.now())),
        };
      },
      {
        query: LangQuery,
        response: SiteView,
        detail: { tags: ['Checkout'], summary: "The operator's site name, texts (disclaimer, support contact, announcement) and whether checkout is on", description: LANG_NOTE },
      },
    )
    .get(
      '/api/plans',
      ({ request }) => {
        const lang = requestLang(request);
        const { catalog } = deps;
        const peak = (modelId: string) => (catalog.resolveModel(modelId) ? catalog.pricesFor(modelId, 'peak') : undefined);
        return {
          data: catalog.plans().map((p) => planView(p, lang, typicalRequestsOf(p, peak))),
          typical_request: typicalRequestView(),
        };
      },
      {
        query: LangQuery,
        response: PlanList,
        detail: {
          tags: ['Checkout'],
          summary: 'Plans on sale',
          description: `${LANG_NOTE} \`typical_requests\`: how many typical chat requests the budget pays for, roughly: one request is \`typical_request\` (input tokens, of them cache hits, output tokens) priced at peak on the plan's least expensive model.`,
        },
      },
    )
    .get(
      '/api/policies/:id',
      ({ params, request }) => {
        if (!POLICIES.includes(params.id as Policy)) throw Err.notFound(`/api/policies/${params.id}`);
        const id = params.id as Policy;
        const site = deps.site.get();
        const lang = requestLang(request);
        const { text, fallback } = textIn(site, id, lang);
        return { id, lang: fallback ? ('en' as const) : lang, markdown: filled(text, site, lang) };
      },
      {
        params: t.Object({ id: t.String({ maxLength: 32, description: 'terms, privacy or refunds (404 otherwise)', examples: ['terms'] }) }),
        query: LangQuery,
        response: PolicyView,
        detail: {
          tags: ['Checkout'],
          summary: "The terms of service, privacy policy or refund policy: the operator's Markdown",
          description: `${LANG_NOTE} \`lang\` says which language the text is in. {site} and {contact} in the operator's text are filled in with the site name and the support contact.`,
        },
      },
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
