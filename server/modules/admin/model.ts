import type { TSchema } from '@sinclair/typebox';
import { t } from 'elysia';
import { Refused } from '../metering/model';

// Request schemas of the admin API (see API.md). Money in bodies: "5", "5.5", "5.000000000".

export const UsdIn = t.String({ pattern: '^\\s*\\d{1,12}(\\.\\d{1,9})?\\s*$', examples: ['5', '5.5', '5.000000000'] });
const Nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()]);
const Id = t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
const Thinking = Nullable(t.Union([t.Literal('enabled'), t.Literal('disabled')]));
const Count = t.Integer({ minimum: 0, maximum: 1_000_000 });
const Protocol = (description?: string) => t.Union([t.Literal('chat'), t.Literal('fim'), t.Literal('anthropic'), t.Literal('responses')], { description });
const KeyStatus = t.Union([t.Literal('active'), t.Literal('disabled'), t.Literal('exhausted'), t.Literal('expired')]);
const OrderStatus = t.Union([
  t.Literal('created'),
  t.Literal('approved'),
  t.Literal('pending'),
  t.Literal('paid'),
  t.Literal('failed'),
  t.Literal('cancelled'),
  t.Literal('refunded'),
  t.Literal('reversed'),
  t.Literal('expired'),
]);

export const PageQuery = {
  limit: t.Optional(t.Integer({ minimum: 1, default: 50 })),
  offset: t.Optional(t.Integer({ minimum: 0, default: 0 })),
};

export const IdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 200 }) });

export const DaysQuery = t.Object({ days: t.Optional(t.Integer({ minimum: 1, maximum: 3660, default: 30 })) });

export const KeysQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 200 })),
  status: t.Optional(KeyStatus),
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
  status: t.Optional(OrderStatus),
  q: t.Optional(t.String({ maxLength: 200 })),
  ...PageQuery,
});

export const RefundBody = t.Object({ amount_usd: t.Optional(UsdIn), reason: t.Optional(t.String({ maxLength: 500 })) });

const planFields = {
  name: t.String({ minLength: 1, maxLength: 100 }),
  description: t.Optional(t.String({ maxLength: 1000 })),
  name_zh: t.Optional(t.String({ maxLength: 100, description: 'the Chinese name; empty: Chinese pages show the English one' })),
  description_zh: t.Optional(t.String({ maxLength: 1000, description: 'the Chinese description; empty: Chinese pages show the English one' })),
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
  protocol: t.Optional(Protocol('only the requests of this API')),
  status: t.Optional(t.String({ pattern: '^(ok|error|\\d{3})$' })),
  from: t.Optional(t.String({ format: 'date-time' })),
  to: t.Optional(t.String({ format: 'date-time' })),
  ...PageQuery,
});

const zhText = (max: number) => t.Optional(t.String({ maxLength: max, description: 'the Chinese text; empty: Chinese pages show the English one' }));
const policyText = (what: string) => t.Optional(t.String({ maxLength: 100_000, description: `the ${what} page, Markdown; {site} and {contact} are filled in` }));

export const SettingsBody = t.Object({
  site_name: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
  disclaimer: t.Optional(t.String({ maxLength: 5000 })),
  disclaimer_zh: zhText(5000),
  support_contact: t.Optional(t.String({ maxLength: 300 })),
  support_contact_zh: zhText(300),
  announcement: t.Optional(t.String({ maxLength: 2000, description: 'a banner over every buyer page; empty: none' })),
  announcement_zh: zhText(2000),
  terms: policyText('terms of service'),
  terms_zh: zhText(100_000),
  privacy: policyText('privacy policy'),
  privacy_zh: zhText(100_000),
  refunds: policyText('refund policy'),
  refunds_zh: zhText(100_000),
  show_reasoning_default: t.Optional(t.Boolean()),
  low_balance_warning_usd: t.Optional(UsdIn),
  /** configuration (TOLLGATE_PUBLIC_URL), not a setting: sending it is refused */
  public_url: t.Optional(t.Never({ description: 'read-only: set TOLLGATE_PUBLIC_URL' })),
});

export const AuditQuery = t.Object({ action: t.Optional(t.String({ maxLength: 100 })), target: t.Optional(t.String({ maxLength: 200 })), ...PageQuery });

// ---- Response schemas (what the handlers return, views.ts). Elysia validates answers against them
// and drops fields they do not name, so each lists every field of its view.

export const Usd = t.String({ pattern: '^-?\\d+\\.\\d{9}$', examples: ['5.000000000'] });
const Time = t.String({ format: 'date-time', examples: ['2026-01-01T00:00:00.000Z'] });
const PeriodOut = t.Union([t.Literal('peak'), t.Literal('off_peak')]);
const ThinkingOut = Nullable(t.Union([t.Literal('enabled'), t.Literal('disabled')]));
const listOf = <T extends TSchema>(item: T) => t.Object({ data: t.Array(item), total: t.Integer({ minimum: 0 }) });

export const KeyView = t.Object({
  id: t.String(),
  key_hint: t.String(),
  plan_id: t.String(),
  status: KeyStatus,
  status_reason: Nullable(t.String()),
  budget_usd: Usd,
  spent_usd: Usd,
  remaining_usd: Usd,
  expires_at: Nullable(Time),
  email: Nullable(t.String()),
  note: Nullable(t.String()),
  rpm: Nullable(t.Integer({ description: 'override of the plan\'s requests per minute' })),
  concurrency: Nullable(t.Integer({ description: 'override of the plan\'s max concurrency' })),
  show_reasoning: Nullable(t.Boolean()),
  order_id: Nullable(t.String()),
  created_at: Time,
  last_used_at: Nullable(Time),
});
export const KeyList = listOf(KeyView);
export const KeyIssued = t.Object({ key: t.String({ description: 'the secret, shown once', examples: ['sk-gateway-…'] }), data: KeyView });

export const LedgerRowView = t.Object({
  id: t.Integer(),
  request_id: t.String(),
  key_id: t.String(),
  protocol: Protocol('the API the request spoke: chat (chat completions, the beta base included), fim, anthropic, responses'),
  model: t.String(),
  upstream_model: t.String(),
  period: PeriodOut,
  stream: t.Boolean(),
  status: t.Integer({ description: 'HTTP status answered' }),
  finish_reason: Nullable(t.String()),
  prompt_cache_hit_tokens: t.Integer(),
  prompt_cache_miss_tokens: t.Integer(),
  completion_tokens: t.Integer(),
  reasoning_tokens: t.Integer(),
  server_tool_calls: t.Object(
    { web_search: t.Integer(), read_url: t.Integer(), file_parse: t.Integer() },
    { description: "DeepSeek's server-side tool calls as reported (files: as sent); each billed at its per-call price, at most max_calls_per_request" },
  ),
  server_tool_cost_usd: Usd,
  cost_usd: Usd,
  basis: t.Union([t.Literal('upstream'), t.Literal('estimated')]),
  started_at: Time,
  duration_ms: t.Integer(),
});
export const LedgerList = listOf(LedgerRowView);

const orderFields = {
  id: t.String(),
  plan_id: t.String(),
  email: t.String(),
  amount_usd: Usd,
  currency: t.String({ examples: ['USD'] }),
  status: OrderStatus,
  status_reason: Nullable(t.String()),
  paypal_order_id: Nullable(t.String()),
  key_id: Nullable(t.String()),
  key_hint: Nullable(t.String()),
  created_at: Time,
  paid_at: Nullable(Time),
};
export const OrderView = t.Object(orderFields);
export const OrderList = listOf(OrderView);
export const OrderDetail = t.Object({
  ...orderFields,
  payments: t.Array(
    t.Object({ paypal_capture_id: t.String(), status: t.String(), amount_usd: Usd, refunded_usd: Usd, created_at: Time }),
  ),
  webhook_events: t.Array(
    t.Object({ id: t.String(), event_type: t.String(), verified: t.Boolean(), result: Nullable(t.String()), received_at: Time, processed_at: Nullable(Time) }),
  ),
});

const MissingZh = t.Array(t.String(), { description: 'the texts here that have no Chinese version (Chinese pages show the English one)' });

export const PlanView = t.Object({
  id: t.String(),
  name: t.String(),
  description: t.String(),
  name_zh: t.String(),
  description_zh: t.String(),
  missing_zh: MissingZh,
  price_usd: Usd,
  budget_usd: Usd,
  models: t.Array(t.String()),
  rpm: t.Integer(),
  max_concurrency: t.Integer(),
  validity_days: t.Integer(),
  sort_order: t.Integer(),
  retired: t.Boolean(),
});
export const PlanList = t.Object({ data: t.Array(PlanView) });

const PriceSetOut = t.Object({ cache_hit_usd: Usd, cache_miss_usd: Usd, output_usd: Usd }, { description: 'USD per 1M tokens' });
export const ModelView = t.Object({
  id: t.String(),
  name: t.String(),
  upstream_model: t.String(),
  thinking: ThinkingOut,
  max_output_tokens: t.Integer(),
  retired: t.Boolean(),
  aliases: t.Array(t.Object({ alias: t.String(), thinking: ThinkingOut })),
  prices: t.Object({ peak: Nullable(PriceSetOut), off_peak: Nullable(PriceSetOut) }),
});
export const ModelList = t.Object({ data: t.Array(ModelView) });

export const ScheduleView = t.Object({
  time_zone: t.String({ examples: ['Asia/Shanghai'] }),
  peak_windows: t.Array(t.Object({ days: t.Array(t.Integer()), start: t.String(), end: t.String() })),
  holidays: t.Array(t.String()),
  current_period: PeriodOut,
});

export const PreviewView = t.Object({ period: PeriodOut, cost_usd: Usd, prices: PriceSetOut });

export const UpstreamView = t.Object({
  id: t.String(),
  label: t.String(),
  key_hint: t.String(),
  source: t.Union([t.Literal('env'), t.Literal('admin')]),
  state: t.Union([t.Literal('active'), t.Literal('failing'), t.Literal('removed')]),
  reason: Nullable(t.String()),
  in_flight: t.Integer(),
  balance: Nullable(t.Object({ currency: t.String(), total: t.String(), checked_at: Time, low: t.Boolean() })),
});
export const UpstreamList = t.Object({ data: t.Array(UpstreamView), low_balance_warning_usd: Usd });
export const Removed = t.Object({ removed: t.Literal(true) });

export const SettingsView = t.Object({
  site_name: t.String(),
  disclaimer: t.String(),
  disclaimer_zh: t.String(),
  support_contact: t.String(),
  support_contact_zh: t.String(),
  announcement: t.String(),
  announcement_zh: t.String(),
  terms: t.String(),
  terms_zh: t.String(),
  privacy: t.String(),
  privacy_zh: t.String(),
  refunds: t.String(),
  refunds_zh: t.String(),
  missing_zh: MissingZh,
  public_url: t.String({ description: 'configuration (TOLLGATE_PUBLIC_URL), read-only' }),
  show_reasoning_default: t.Boolean(),
  low_balance_warning_usd: Usd,
});

export const AuditList = t.Composite([
  listOf(
    t.Object({
      id: t.Integer(),
      at: Time,
      actor: t.String(),
      ip: Nullable(t.String()),
      action: t.String(),
      target: Nullable(t.String()),
      before: t.Any(),
      after: t.Any(),
    }),
  ),
  t.Object({ actions: t.Array(t.String(), { description: 'every action the log holds, sorted: the choices of the action filter' }) }),
]);

export const OverviewView = t.Object({
  days: t.Integer(),
  revenue_usd: Usd,
  paid_orders: t.Integer(),
  revenue_by_day: t.Array(t.Object({ date: t.String({ examples: ['2026-01-01'] }), revenue_usd: Usd, orders: t.Integer() })),
  orders_by_status: t.Record(t.String(), t.Integer()),
  buyer_spend_usd: Usd,
  upstream_cost_usd: Usd,
  margin_usd: Usd,
  earned_usd: t.String({ ...Usd, description: "revenue attributable to the budget used in the window: each key's spend × what was paid for it ÷ its budget" }),
  owed_usd: t.String({ ...Usd, description: 'the budget still owed to buyers: what is left on active keys that have not expired' }),
  owed_keys: t.Integer({ description: 'the keys owed_usd is left on' }),
  refused_today: Refused,
  active_keys: t.Integer(),
  requests_today: t.Integer(),
  errors_today: t.Integer(),
  error_rate_today: t.Number(),
  current_period: PeriodOut,
  spend_by_day: t.Array(t.Object({ date: t.String({ examples: ['2026-01-01'] }), spend_usd: Usd, requests: t.Integer() })),
});

export const CreditView = t.Object({
  id: t.Integer(),
  key_id: t.String(),
  order_id: t.String(),
  kind: t.Union([t.Literal('purchase'), t.Literal('topup')]),
  amount_usd: Usd,
  budget_added_usd: Usd,
  expires_before: Nullable(Time),
  expires_after: Nullable(Time),
  plan_before: Nullable(t.String()),
  plan_after: t.String(),
  created_at: Time,
});
export const CreditList = t.Object({ data: t.Array(CreditView) });

const MailStatus = t.Union([t.Literal('pending'), t.Literal('sending'), t.Literal('sent'), t.Literal('failed')]);
export const MailQuery = t.Object({ status: t.Optional(MailStatus), q: t.Optional(t.String({ maxLength: 200 })), ...PageQuery });
export const MailIdParams = t.Object({ id: t.Integer({ minimum: 1 }) });
export const MailView = t.Object({
  id: t.Integer(),
  kind: t.Union([t.Literal('receipt'), t.Literal('low_budget'), t.Literal('exhausted'), t.Literal('expiring')]),
  to: t.String(),
  lang: t.Union([t.Literal('en'), t.Literal('zh')]),
  status: MailStatus,
  resend: t.Boolean({ description: 'a copy asked for again (by the buyer or the operator)' }),
  attempts: t.Integer(),
  subject: Nullable(t.String({ description: 'once written (at the first attempt)' })),
  smtp_response: Nullable(t.String({ description: "the SMTP server's last answer: its acceptance, or the error" })),
  order_id: Nullable(t.String()),
  key_id: Nullable(t.String()),
  created_at: Time,
  next_attempt_at: Nullable(Time),
  sent_at: Nullable(Time),
});
export const MailList = t.Object({
  enabled: t.Boolean({ description: 'false: TOLLGATE_SMTP_URL and TOLLGATE_MAIL_FROM are not set, nothing is queued or sent' }),
  server: Nullable(t.String({ description: 'smtp(s)://host:port, never the password' })),
  from: Nullable(t.String()),
  counts: t.Object({ pending: t.Integer(), sending: t.Integer(), sent: t.Integer(), failed: t.Integer() }),
  data: t.Array(MailView),
  total: t.Integer({ minimum: 0 }),
});

export const RefusalsQuery = t.Object({
  key_id: t.Optional(t.String({ maxLength: 100 })),
  from: t.Optional(t.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'first UTC day, YYYY-MM-DD', examples: ['2026-11-01'] })),
  to: t.Optional(t.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'last UTC day, YYYY-MM-DD', examples: ['2026-11-30'] })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

const RefusalReasonOut = t.String({ description: 'budget_exhausted, budget_too_low, key_expired, model_not_allowed, model_not_found, rate_limited, concurrency_limited, upstream_rejected or bad_request', examples: ['rate_limited'] });

export const RefusalList = t.Object({
  data: t.Array(t.Object({ key_id: t.String(), key_hint: Nullable(t.String()), date: t.String({ examples: ['2026-11-23'] }), reason: RefusalReasonOut, count: t.Integer() })),
  refused: Refused,
});

export const KeyRefusals = t.Object({
  refused: Refused,
  by_day: t.Array(t.Object({ date: t.String({ examples: ['2026-11-23'] }), refused: Refused }), { description: 'the last 30 UTC days that have refusals, oldest first' }),
});
