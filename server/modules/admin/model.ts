import type { TSchema } from '@sinclair/typebox';
import { t } from 'elysia';

// Request schemas of the admin API (see API.md). Money in bodies: "5", "5.5", "5.000000000".

export const UsdIn = t.String({ pattern: '^\\s*\\d{1,12}(\\.\\d{1,9})?\\s*$', examples: ['5', '5.5', '5.000000000'] });
const Nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()]);
const Id = t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
const Thinking = Nullable(t.Union([t.Literal('enabled'), t.Literal('disabled')]));
const Count = t.Integer({ minimum: 0, maximum: 1_000_000 });

export const PageQuery = {
  limit: t.Optional(t.Integer({ minimum: 1, default: 50 })),
  offset: t.Optional(t.Integer({ minimum: 0, default: 0 })),
};

export const IdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 200 }) });

export const DaysQuery = t.Object({ days: t.Optional(t.Integer({ minimum: 1, maximum: 3660, default: 30 })) });

export const KeysQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 200 })),
  status: t.Optional(t.Union([t.Literal('active'), t.Literal('disabled'), t.Literal('exhausted'), t.Literal('expired')])),
  plan_id: t.Optional(t.String({ maxLength: 64 })),
  ...PageQuery,
});

export const KeyCreateBody = t.Object({
  plan_id: t.String({ minLength: 1, maxLength: 64 }),
  budget_usd: t.Optional(UsdIn),
  email: t.Optional(t.String({ maxLength: 254 })),
  note: t.Optional(t.String({ maxLength: 1000 })),
  rpm: t.Optional(Count),
  concurrency: t.Optional(Count),
  expires_days: t.Optional(t.Integer({ minimum: 0, maximum: 36_500 })),
});

export const KeyPatchBody = t.Object({
  budget_usd: t.Optional(UsdIn),
  plan_id: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
  expires_at: t.Optional(Nullable(t.String({ format: 'date-time' }))),
  status: t.Optional(t.Union([t.Literal('active'), t.Literal('disabled')])),
  note: t.Optional(Nullable(t.String({ maxLength: 1000 }))),
  rpm: t.Optional(Nullable(Count)),
  concurrency: t.Optional(Nullable(Count)),
  show_reasoning: t.Optional(Nullable(t.Boolean())),
});

export const TopUpBody = t.Object({ amount_usd: UsdIn });

export const OrdersQuery = t.Object({
  status: t.Optional(
    t.Union(['created', 'approved', 'pending', 'paid', 'failed', 'cancelled', 'refunded', 'reversed'].map((s) => t.Literal(s))),
  ),
  q: t.Optional(t.String({ maxLength: 200 })),
  ...PageQuery,
});

export const RefundBody = t.Object({ amount_usd: t.Optional(UsdIn), reason: t.Optional(t.String({ maxLength: 500 })) });

const planFields = {
  name: t.String({ minLength: 1, maxLength: 100 }),
  description: t.Optional(t.String({ maxLength: 1000 })),
  price_usd: UsdIn,
  budget_usd: UsdIn,
  models: t.Array(t.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 50 }),
  rpm: Count,
  max_concurrency: Count,
  validity_days: t.Integer({ minimum: 0, maximum: 36_500 }),
  sort_order: t.Optional(t.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
};

export const PlanCreateBody = t.Object({ id: Id, ...planFields });
export const PlanPatchBody = t.Partial(t.Object({ ...planFields, retired: t.Boolean() }));

const PriceSet = t.Object({ cache_hit_usd: UsdIn, cache_miss_usd: UsdIn, output_usd: UsdIn });
const Prices = t.Object({ peak: PriceSet, off_peak: PriceSet });

export const ModelCreateBody = t.Object({
  id: Id,
  name: t.String({ minLength: 1, maxLength: 100 }),
  upstream_model: t.String({ minLength: 1, maxLength: 100 }),
  thinking: t.Optional(Thinking),
  max_output_tokens: t.Integer({ minimum: 1, maximum: 10_000_000 }),
  prices: Prices,
});

export const ModelPatchBody = t.Object({
  name: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
  upstream_model: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
  thinking: t.Optional(Thinking),
  max_output_tokens: t.Optional(t.Integer({ minimum: 1, maximum: 10_000_000 })),
  retired: t.Optional(t.Boolean()),
  prices: t.Optional(t.Partial(Prices)),
  aliases: t.Optional(t.Array(t.Object({ alias: Id, thinking: t.Optional(Thinking) }), { maxItems: 50 })),
});

export const ScheduleBody = t.Object({
  time_zone: t.String({ minLength: 1, maxLength: 100 }),
  peak_windows: t.Array(
    t.Object({ days: t.Array(t.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }), start: t.String(), end: t.String() }),
    { maxItems: 50 },
  ),
  holidays: t.Array(t.String(), { maxItems: 1000 }),
});

export const PreviewBody = t.Object({
  model: t.String({ minLength: 1, maxLength: 100 }),
  cache_hit_tokens: t.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  cache_miss_tokens: t.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  output_tokens: t.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  at: t.Optional(t.String({ format: 'date-time' })),
});

export const UpstreamBody = t.Object({ key: t.String({ minLength: 8, maxLength: 500 }), label: t.Optional(t.String({ maxLength: 100 })) });

export const LedgerQuery = t.Object({
  key_id: t.Optional(t.String({ maxLength: 100 })),
  model: t.Optional(t.String({ maxLength: 100 })),
  status: t.Optional(t.String({ pattern: '^(ok|error|\\d{3})$' })),
  from: t.Optional(t.String({ format: 'date-time' })),
  to: t.Optional(t.String({ format: 'date-time' })),
  ...PageQuery,
});

export const SettingsBody = t.Object({
  site_name: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
  disclaimer: t.Optional(t.String({ maxLength: 5000 })),
  support_contact: t.Optional(t.String({ maxLength: 300 })),
  show_reasoning_default: t.Optional(t.Boolean()),
  low_balance_warning_usd: t.Optional(UsdIn),
  /** configuration (TOLLGATE_PUBLIC_URL), not a setting: sending it is refused */
  public_url: t.Optional(t.Never({ description: 'read-only: set TOLLGATE_PUBLIC_URL' })),
});

export const AuditQuery = t.Object({ action: t.Optional(t.String({ maxLength: 100 })), target: t.Optional(t.String({ maxLength: 200 })), ...PageQuery });
