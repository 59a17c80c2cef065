import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// Money columns are integer nano-USD; times are integer milliseconds since the epoch.

export type Period = 'peak' | 'off_peak';
export type Thinking = 'enabled' | 'disabled';
/** The API a request spoke: OpenAI chat, FIM, Anthropic Messages or Responses. */
export type Protocol = 'chat' | 'fim' | 'anthropic' | 'responses';
/** DeepSeek's server-side tools, billed per call: web search, URL reading, file parsing. */
export type ServerToolKind = 'web_search' | 'read_url' | 'file_parse';
export type KeyStatus = 'active' | 'disabled' | 'exhausted' | 'expired';
export type OrderStatus = 'created' | 'approved' | 'pending' | 'paid' | 'failed' | 'cancelled' | 'refunded' | 'reversed' | 'expired';
export type MailLang = 'en' | 'zh';
export type MailKind = 'receipt' | 'low_budget' | 'exhausted' | 'expiring';
export type MailStatus = 'pending' | 'sending' | 'sent' | 'failed';
/** Why a known key's request was refused (counted in `refusals`, never in the ledger). */
export type RefusalReason =
  | 'budget_exhausted'
  | 'budget_too_low'
  | 'key_expired'
  | 'model_not_allowed'
  | 'model_not_found'
  | 'rate_limited'
  | 'concurrency_limited'
  | 'upstream_rejected'
  | 'bad_request';

const now = sql`(unixepoch('subsec') * 1000)`;
const createdAt = () => integer('created_at').notNull().default(now);
const updatedAt = () => integer('updated_at').notNull().default(now);

export const plans = sqliteTable('plans', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  /** the Chinese name and description; empty: the English ones are shown */
  nameZh: text('name_zh').notNull().default(''),
  descriptionZh: text('description_zh').notNull().default(''),
  priceNano: integer('price_nano').notNull(),
  budgetNano: integer('budget_nano').notNull(),
  models: text('models', { mode: 'json' }).$type<string[]>().notNull(),
  rpm: integer('rpm').notNull(),
  maxConcurrency: integer('max_concurrency').notNull(),
  validityDays: integer('validity_days').notNull(),
  sortOrder: integer('sort_order').notNull().default(0),
  retired: integer('retired', { mode: 'boolean' }).notNull().default(false),
  createdAt: createdAt(),
});

export const models = sqliteTable('models', {
  id: text('id').primaryKey(),
  displayName: text('display_name').notNull(),
  upstreamModel: text('upstream_model').notNull(),
  thinking: text('thinking').$type<Thinking>(),
  maxOutputTokens: integer('max_output_tokens').notNull(),
  sortOrder: integer('sort_order').notNull().default(0),
  retired: integer('retired', { mode: 'boolean' }).notNull().default(false),
  createdAt: createdAt(),
});

export const modelAliases = sqliteTable('model_aliases', {
  alias: text('alias').primaryKey(),
  modelId: text('model_id').notNull().references(() => models.id),
  thinking: text('thinking').$type<Thinking>(),
});

/** Prices in nano-USD per token, per public model and period. */
export const prices = sqliteTable(
  'prices',
  {
    modelId: text('model_id').notNull().references(() => models.id),
    period: text('period').$type<Period>().notNull(),
    cacheHitNano: integer('cache_hit_nano').notNull(),
    cacheMissNano: integer('cache_miss_nano').notNull(),
    outputNano: integer('output_nano').notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [primaryKey({ columns: [table.modelId, table.period] })],
);

/**
 * Per-call prices of DeepSeek's server-side tools, per public model or for every model
 * (model_id '*'); a tool without a price that applies is refused. `max_calls` is the most calls of
 * that tool one request is held for and billed: the hold's worst case.
 */
export const toolPrices = sqliteTable(
  'tool_prices',
  {
    tool: text('tool').$type<ServerToolKind>().notNull(),
    modelId: text('model_id').notNull(),
    peakCallNano: integer('peak_call_nano').notNull(),
    offPeakCallNano: integer('off_peak_call_nano').notNull(),
    maxCalls: integer('max_calls').notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [primaryKey({ columns: [table.tool, table.modelId] })],
);

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).notNull(),
  updatedAt: updatedAt(),
});

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    keyHash: text('key_hash').notNull(),
    keyEncrypted: text('key_encrypted').notNull(),
    keyHint: text('key_hint').notNull(),
    planId: text('plan_id').notNull().references(() => plans.id),
    budgetNano: integer('budget_nano').notNull(),
    spentNano: integer('spent_nano').notNull().default(0),
    status: text('status').$type<KeyStatus>().notNull().default('active'),
    statusReason: text('status_reason'),
    expiresAt: integer('expires_at'),
    email: text('email'),
    note: text('note'),
    showReasoning: integer('show_reasoning', { mode: 'boolean' }),
    rpmOverride: integer('rpm_override'),
    concurrencyOverride: integer('concurrency_override'),
    upstreamUserId: text('upstream_user_id').notNull(),
    orderId: text('order_id'),
    /** the language of the latest order that paid for this key: its mails are written in it */
    lang: text('lang').$type<MailLang>(),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at'),
  },
  (table) => [
    uniqueIndex('api_keys_key_hash_unique').on(table.keyHash),
    index('api_keys_email_idx').on(table.email),
    index('api_keys_order_idx').on(table.orderId),
  ],
);

export const ledger = sqliteTable(
  'ledger',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    requestId: text('request_id').notNull(),
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    publicModel: text('public_model').notNull(),
    upstreamModel: text('upstream_model').notNull(),
    period: text('period').$type<Period>().notNull(),
    cacheHitTokens: integer('cache_hit_tokens').notNull(),
    cacheMissTokens: integer('cache_miss_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    reasoningTokens: integer('reasoning_tokens').notNull(),
    cacheHitPriceNano: integer('cache_hit_price_nano').notNull(),
    cacheMissPriceNano: integer('cache_miss_price_nano').notNull(),
    outputPriceNano: integer('output_price_nano').notNull(),
    costNano: integer('cost_nano').notNull(),
    basis: text('basis').$type<'upstream' | 'estimated'>().notNull(),
    httpStatus: integer('http_status').notNull(),
    finishReason: text('finish_reason'),
    stream: integer('stream', { mode: 'boolean' }).notNull(),
    ttfbMs: integer('ttfb_ms'),
    durationMs: integer('duration_ms').notNull(),
    upstreamKeyId: text('upstream_key_id'),
    startedAt: integer('started_at').notNull(),
    finishedAt: integer('finished_at').notNull(),
    /** rows from before protocols were recorded were all chat */
    protocol: text('protocol').$type<Protocol>().notNull().default('chat'),
    /** DeepSeek's server-side tool calls billed on this row, and what they cost (inside cost_nano) */
    webSearchCalls: integer('web_search_calls').notNull().default(0),
    readUrlCalls: integer('read_url_calls').notNull().default(0),
    fileParseCalls: integer('file_parse_calls').notNull().default(0),
    serverToolCostNano: integer('server_tool_cost_nano').notNull().default(0),
  },
  (table) => [
    uniqueIndex('ledger_request_id_unique').on(table.requestId),
    index('ledger_key_started_idx').on(table.keyId, table.startedAt),
    // the roll-up and the overview select by age across all keys
    index('ledger_started_idx').on(table.startedAt),
  ],
);

/**
 * Raw ledger rows past the retention age, summed per key, UTC day (of started_at), public model
 * and period, so that totals and dashboards keep their history once the rows are gone.
 */
export const ledgerDaily = sqliteTable(
  'ledger_daily',
  {
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    date: text('date').notNull(),
    publicModel: text('public_model').notNull(),
    period: text('period').$type<Period>().notNull(),
    requests: integer('requests').notNull(),
    errors: integer('errors').notNull(),
    cacheHitTokens: integer('cache_hit_tokens').notNull(),
    cacheMissTokens: integer('cache_miss_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    reasoningTokens: integer('reasoning_tokens').notNull(),
    costNano: integer('cost_nano').notNull(),
  },
  (table) => [primaryKey({ columns: [table.keyId, table.date, table.publicModel, table.period] }), index('ledger_daily_date_idx').on(table.date)],
);

export const orders = sqliteTable(
  'orders',
  {
    id: text('id').primaryKey(),
    planId: text('plan_id').notNull().references(() => plans.id),
    email: text('email').notNull(),
    amountNano: integer('amount_nano').notNull(),
    currency: text('currency').notNull().default('USD'),
    status: text('status').$type<OrderStatus>().notNull().default('created'),
    statusReason: text('status_reason'),
    paypalOrderId: text('paypal_order_id'),
    paypalRequestId: text('paypal_request_id').notNull(),
    /** SHA-256 of the secret in the return link, so the buyer's browser can see its order without the email */
    viewTokenHash: text('view_token_hash').notNull(),
    approveUrl: text('approve_url'),
    /** PayPal-Request-Id of the current capture attempt; a new one after a decline (null: `${paypalRequestId}-capture`) */
    captureRequestId: text('capture_request_id'),
    /** when the reconciler may next ask PayPal about this order (null: not asked yet) */
    nextCheckAt: integer('next_check_at'),
    /** the language the buyer ordered in: the receipt and the key's mails use it */
    lang: text('lang').$type<MailLang>().notNull().default('en'),
    /** a top-up: the existing key this order credits (null: the order issues a new key) */
    topupKeyId: text('topup_key_id').references(() => apiKeys.id),
    keyId: text('key_id').references(() => apiKeys.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    paidAt: integer('paid_at'),
  },
  (table) => [
    uniqueIndex('orders_paypal_order_unique').on(table.paypalOrderId),
    index('orders_status_idx').on(table.status),
    index('orders_email_idx').on(table.email),
    index('orders_reconcile_idx').on(table.status, table.nextCheckAt),
  ],
);

export const payments = sqliteTable(
  'payments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: text('order_id').notNull().references(() => orders.id),
    paypalCaptureId: text('paypal_capture_id').notNull(),
    status: text('status').notNull(),
    amountNano: integer('amount_nano').notNull(),
    currency: text('currency').notNull(),
    refundedNano: integer('refunded_nano').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [uniqueIndex('payments_capture_unique').on(table.paypalCaptureId), index('payments_order_idx').on(table.orderId)],
);

export const webhookEvents = sqliteTable('webhook_events', {
  id: text('id').primaryKey(),
  eventType: text('event_type').notNull(),
  resourceId: text('resource_id'),
  orderId: text('order_id'),
  verified: integer('verified', { mode: 'boolean' }).notNull(),
  result: text('result'),
  receivedAt: createdAt(),
  processedAt: integer('processed_at'),
});

export const upstreamKeys = sqliteTable('upstream_keys', {
  id: text('id').primaryKey(),
  label: text('label').notNull(),
  keyEncrypted: text('key_encrypted').notNull(),
  keyHint: text('key_hint').notNull(),
  status: text('status').$type<'active' | 'failing' | 'removed'>().notNull().default('active'),
  failureReason: text('failure_reason'),
  balanceText: text('balance_text'),
  balanceCheckedAt: integer('balance_checked_at'),
  createdAt: createdAt(),
});

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: createdAt(),
    actor: text('actor').notNull(),
    ip: text('ip'),
    action: text('action').notNull(),
    target: text('target'),
    before: text('before', { mode: 'json' }),
    after: text('after', { mode: 'json' }),
  },
  (table) => [index('audit_log_at_idx').on(table.at)],
);

/**
 * What each paid order put on a key (its first purchase and every top-up): exactly one row per
 * order, written in the crediting transaction.
 */
export const credits = sqliteTable(
  'credits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    orderId: text('order_id').notNull().references(() => orders.id),
    kind: text('kind').$type<'purchase' | 'topup'>().notNull(),
    amountNano: integer('amount_nano').notNull(),
    budgetAddedNano: integer('budget_added_nano').notNull(),
    expiresBefore: integer('expires_before'),
    expiresAfter: integer('expires_after'),
    planBefore: text('plan_before'),
    planAfter: text('plan_after').notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('credits_order_unique').on(table.orderId), index('credits_key_idx').on(table.keyId, table.id)],
);

/**
 * Mail waiting to be sent, or sent: written in the transaction of what causes it, sent by the
 * worker. `dedupe_key` makes a mail that must go once (a receipt, a budget alert per budget level)
 * impossible to queue twice; resends and copies have none.
 */
export const mailOutbox = sqliteTable(
  'mail_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').$type<MailKind>().notNull(),
    toEmail: text('to_email').notNull(),
    lang: text('lang').$type<MailLang>().notNull(),
    dedupeKey: text('dedupe_key'),
    /** what the template needs, fixed when queued (never the key itself: that is read at send time) */
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** a resend or an operator's copy */
    resend: integer('resend', { mode: 'boolean' }).notNull().default(false),
    status: text('status').$type<MailStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    subject: text('subject'),
    /** the Message-ID header, the same on every attempt */
    messageId: text('message_id').notNull(),
    /** the SMTP server's last answer: the acceptance, or the error */
    smtpResponse: text('smtp_response'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: integer('sent_at'),
  },
  (table) => [uniqueIndex('mail_outbox_dedupe_unique').on(table.dedupeKey), index('mail_outbox_due_idx').on(table.status, table.nextAttemptAt)],
);

/**
 * Refused requests of known keys (402, 403, 404 model, 429, 400), counted per key, UTC day and
 * reason. Not money, so not the ledger: counted in memory and added here in batches.
 */
export const refusals = sqliteTable(
  'refusals',
  {
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    date: text('date').notNull(),
    reason: text('reason').$type<RefusalReason>().notNull(),
    count: integer('count').notNull(),
  },
  (table) => [primaryKey({ columns: [table.keyId, table.date, table.reason] }), index('refusals_date_idx').on(table.date)],
);
