import { t } from 'elysia';

const Usd = t.String({ pattern: '^-?\\d+\\.\\d{9}$', examples: ['5.000000000'] });

const Lang = t.Union([t.Literal('en'), t.Literal('zh')]);
const Untranslated = t.Array(t.String(), { description: 'the texts here that the operator wrote only in English, shown in English on a Chinese page' });

/** ?lang=: the language of the operator's texts (else Accept-Language). */
export const LangQuery = t.Object({ lang: t.Optional(t.String({ description: 'en or zh (zh-CN… count as zh); without it, Accept-Language decides', examples: ['zh'] })) });

export const PlanView = t.Object({
  id: t.String({ examples: ['starter'] }),
  name: t.String({ description: "the plan's display name in the visitor's language" }),
  description: t.String({ description: "in the visitor's language" }),
  untranslated: Untranslated,
  typical_requests: t.Integer({ description: 'about how many typical chat requests (see typical_request) the budget pays for, at peak prices on the plan\'s least expensive model', examples: [8284] }),
  price_usd: Usd,
  budget_usd: Usd,
  models: t.Array(t.String()),
  rpm: t.Integer({ description: 'requests per minute per key' }),
  max_concurrency: t.Integer(),
  validity_days: t.Integer(),
});

const PeriodPrices = t.Object({ cache_hit_usd: Usd, cache_miss_usd: Usd, output_usd: Usd });
const Period = t.Union([t.Literal('peak'), t.Literal('off_peak')]);

export const ModelView = t.Object({
  id: t.String({ examples: ['deepseek-v4-flash'] }),
  name: t.String(),
  max_output_tokens: t.Integer(),
  aliases: t.Array(t.String()),
  per_million_tokens: t.Object({ peak: PeriodPrices, off_peak: PeriodPrices }, { description: 'USD per 1M tokens' }),
});

export const ScheduleView = t.Object({
  time_zone: t.String(),
  peak_windows: t.Array(t.Object({ days: t.Array(t.Integer()), start: t.String(), end: t.String() })),
  holidays: t.Array(t.String()),
});

export const TypicalRequest = t.Object(
  {
    input_tokens: t.Integer({ examples: [1000] }),
    cache_hit_tokens: t.Integer({ description: 'of the input tokens, those that hit the cache', examples: [500] }),
    output_tokens: t.Integer({ examples: [300] }),
    period: Period,
  },
  { description: 'the typical chat request behind typical_requests' },
);

export const PlanList = t.Object({ data: t.Array(PlanView), typical_request: TypicalRequest });

export const PolicyView = t.Object({
  id: t.Union([t.Literal('terms'), t.Literal('privacy'), t.Literal('refunds')]),
  lang: t.Union([t.Literal('en'), t.Literal('zh')], { description: 'the language of the text: en where the operator wrote no Chinese one' }),
  markdown: t.String({ description: "the operator's text, Markdown: headings, paragraphs, lists, quotes, bold, italic, code and links" }),
});
export const ModelList = t.Object({ data: t.Array(ModelView), current_period: Period, schedule: ScheduleView });

export const SiteView = t.Object({
  site_name: t.String(),
  lang: Lang,
  disclaimer: t.String({ description: "in the visitor's language" }),
  support_contact: t.String({ description: "in the visitor's language" }),
  announcement: t.String({ description: "a banner the operator shows over every page, in the visitor's language; empty when there is none" }),
  untranslated: Untranslated,
  public_url: t.String({ examples: ['https://api.example.com'] }),
  api_base_url: t.String({ description: 'what to give an OpenAI SDK as base URL', examples: ['https://api.example.com/v1'] }),
  checkout_enabled: t.Boolean(),
  mail_enabled: t.Boolean({ description: 'the gateway mails receipts and budget notices (TOLLGATE_SMTP_URL is set)' }),
  paypal_mode: t.Union([t.Literal('sandbox'), t.Literal('live')]),
  current_period: Period,
});
