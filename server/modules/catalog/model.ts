import { t } from 'elysia';

const Usd = t.String({ pattern: '^-?\\d+\\.\\d{9}$', examples: ['5.000000000'] });

export const PlanView = t.Object({
  id: t.String({ examples: ['starter'] }),
  name: t.String(),
  description: t.String(),
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

export const PlanList = t.Object({ data: t.Array(PlanView) });
export const ModelList = t.Object({ data: t.Array(ModelView), current_period: Period, schedule: ScheduleView });

export const SiteView = t.Object({
  site_name: t.String(),
  disclaimer: t.String(),
  support_contact: t.String(),
  public_url: t.String({ examples: ['https://api.example.com'] }),
  api_base_url: t.String({ description: 'what to give an OpenAI SDK as base URL', examples: ['https://api.example.com/v1'] }),
  checkout_enabled: t.Boolean(),
  mail_enabled: t.Boolean({ description: 'the gateway mails receipts and budget notices (TOLLGATE_SMTP_URL is set)' }),
  paypal_mode: t.Union([t.Literal('sandbox'), t.Literal('live')]),
  current_period: Period,
});
