import { sql } from 'drizzle-orm';
import { bigint, boolean, check, customType, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { KeyStatus, MailKind, MailLang, MailStatus, OrderStatus, Period, Protocol, RefusalReason, ServerToolKind, Thinking } from '../schema';

// The PostgreSQL twin of ../schema.ts: the same tables, columns, indexes and defaults, so that a
// store's two implementations read and write the same rows. Money and times are bigint read as
// numbers (nano-USD and epoch milliseconds stay far below 2^53); booleans are boolean; JSON is
// text, written and parsed here exactly like SQLite's json text columns. (Not jsonb: drizzle's
// jsonb over Bun's SQL stores a JSON string holding the text, drizzle-orm#4942; no query of ours
// looks inside a JSON value, and copy-to-postgres copies the text as it is.) Below the mirrored
// tables, what only the scale-out mode needs: holds per request, instance heartbeats, cache versions.

export type { KeyStatus, MailKind, MailLang, MailStatus, OrderStatus, Period, Protocol, RefusalReason, ServerToolKind, Thinking } from '../schema';

/** JSON in a text column, as SQLite keeps it. */
const json = customType<{ data: unknown; driverData: string }>({
  dataType: () => 'text',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => JSON.parse(value),
});

const millis = (name: string) => bigint(name, { mode: 'number' });
const now = sql`(floor(extract(epoch from now()) * 1000))::bigint`;
const createdAt = () => millis('created_at').notNull().default(now);
const updatedAt = () => millis('updated_at').notNull().default(now);
const nano = (name: string) => bigint(name, { mode: 'number' });
/** a row id given by the database; copy-to-postgres writes SQLite's ids and then moves the sequence on */
const serialId = () => bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity();

export const plans = pgTable('plans', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  nameZh: text('name_zh').notNull().default(''),
  descriptionZh: text('description_zh').notNull().default(''),
  priceNano: nano('price_nano').notNull(),
  budgetNano: nano('budget_nano').notNull(),
  models: json('models').$type<string[]>().notNull(),
  rpm: integer('rpm').notNull(),
  maxConcurrency: integer('max_concurrency').notNull(),
  validityDays: integer('validity_days').notNull(),
  sortOrder: integer('sort_order').notNull().default(0),
  retired: boolean('retired').notNull().default(false),
  createdAt: createdAt(),
});

export const models = pgTable('models', {
  id: text('id').primaryKey(),
  displayName: text('display_name').notNull(),
  upstreamModel: text('upstream_model').notNull(),
  thinking: text('thinking').$type<Thinking>(),
  maxOutputTokens: integer('max_output_tokens').notNull(),
  sortOrder: integer('sort_order').notNull().default(0),
  retired: boolean('retired').notNull().default(false),
  createdAt: createdAt(),
});

export const modelAliases = pgTable('model_aliases', {
  alias: text('alias').primaryKey(),
  modelId: text('model_id').notNull().references(() => models.id),
  thinking: text('thinking').$type<Thinking>(),
});

/** Prices in nano-USD per token, per public model and period. */
export const prices = pgTable(
  'prices',
  {
    modelId: text('model_id').notNull().references(() => models.id),
    period: text('period').$type<Period>().notNull(),
    cacheHitNano: nano('cache_hit_nano').notNull(),
    cacheMissNano: nano('cache_miss_nano').notNull(),
    outputNano: nano('output_nano').notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [primaryKey({ columns: [table.modelId, table.period] })],
);

/** See ../schema.ts: per-call prices of DeepSeek's server-side tools, per model or for every model ('*'). */
export const toolPrices = pgTable(
  'tool_prices',
  {
    tool: text('tool').$type<ServerToolKind>().notNull(),
    modelId: text('model_id').notNull(),
    peakCallNano: nano('peak_call_nano').notNull(),
    offPeakCallNano: nano('off_peak_call_nano').notNull(),
    maxCalls: integer('max_calls').notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [primaryKey({ columns: [table.tool, table.modelId] })],
);

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: json('value').notNull(),
  updatedAt: updatedAt(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    keyHash: text('key_hash').notNull(),
    keyEncrypted: text('key_encrypted').notNull(),
    keyHint: text('key_hint').notNull(),
    planId: text('plan_id').notNull().references(() => plans.id),
    budgetNano: nano('budget_nano').notNull(),
    spentNano: nano('spent_nano').notNull().default(0),
    /** the sum of this key's rows in `holds`: admission adds to it in the same conditional UPDATE that checks the budget */
    heldNano: nano('held_nano').notNull().default(0),
    /** the number of this key's rows in `holds`, checked against the concurrency cap in that UPDATE */
    inFlight: integer('in_flight').notNull().default(0),
    status: text('status').$type<KeyStatus>().notNull().default('active'),
    statusReason: text('status_reason'),
    expiresAt: millis('expires_at'),
    email: text('email'),
    note: text('note'),
    showReasoning: boolean('show_reasoning'),
    rpmOverride: integer('rpm_override'),
    concurrencyOverride: integer('concurrency_override'),
    upstreamUserId: text('upstream_user_id').notNull(),
    orderId: text('order_id'),
    /** the language of the latest order that paid for this key: its mails are written in it */
    lang: text('lang').$type<MailLang>(),
    createdAt: createdAt(),
    lastUsedAt: millis('last_used_at'),
  },
  (table) => [
    uniqueIndex('api_keys_key_hash_unique').on(table.keyHash),
    index('api_keys_email_idx').on(table.email),
    index('api_keys_order_idx').on(table.orderId),
    // the last line of defence against overspend, whatever a statement above it got wrong
    check('api_keys_within_budget', sql`${table.spentNano} + ${table.heldNano} <= ${table.budgetNano}`),
    check('api_keys_holds_not_negative', sql`${table.heldNano} >= 0 AND ${table.inFlight} >= 0`),
  ],
);

export const ledger = pgTable(
  'ledger',
  {
    id: serialId(),
    requestId: text('request_id').notNull(),
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    publicModel: text('public_model').notNull(),
    upstreamModel: text('upstream_model').notNull(),
    period: text('period').$type<Period>().notNull(),
    cacheHitTokens: integer('cache_hit_tokens').notNull(),
    cacheMissTokens: integer('cache_miss_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    reasoningTokens: integer('reasoning_tokens').notNull(),
    cacheHitPriceNano: nano('cache_hit_price_nano').notNull(),
    cacheMissPriceNano: nano('cache_miss_price_nano').notNull(),
    outputPriceNano: nano('output_price_nano').notNull(),
    costNano: nano('cost_nano').notNull(),
    basis: text('basis').$type<'upstream' | 'estimated'>().notNull(),
    httpStatus: integer('http_status').notNull(),
    finishReason: text('finish_reason'),
    stream: boolean('stream').notNull(),
    ttfbMs: integer('ttfb_ms'),
    durationMs: integer('duration_ms').notNull(),
    upstreamKeyId: text('upstream_key_id'),
    protocol: text('protocol').$type<Protocol>().notNull().default('chat'),
    webSearchCalls: integer('web_search_calls').notNull().default(0),
    readUrlCalls: integer('read_url_calls').notNull().default(0),
    fileParseCalls: integer('file_parse_calls').notNull().default(0),
    serverToolCostNano: nano('server_tool_cost_nano').notNull().default(0),
    startedAt: millis('started_at').notNull(),
    finishedAt: millis('finished_at').notNull(),
  },
  (table) => [
    uniqueIndex('ledger_request_id_unique').on(table.requestId),
    index('ledger_key_started_idx').on(table.keyId, table.startedAt),
    index('ledger_started_idx').on(table.startedAt),
  ],
);

/** See ../schema.ts: raw ledger rows past the retention age, summed per key, UTC day, model and period. */
export const ledgerDaily = pgTable(
  'ledger_daily',
  {
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    date: text('date').notNull(),
    publicModel: text('public_model').notNull(),
    period: text('period').$type<Period>().notNull(),
    // sums over a day: bigint where one key's day could pass 2^31
    requests: bigint('requests', { mode: 'number' }).notNull(),
    errors: bigint('errors', { mode: 'number' }).notNull(),
    cacheHitTokens: bigint('cache_hit_tokens', { mode: 'number' }).notNull(),
    cacheMissTokens: bigint('cache_miss_tokens', { mode: 'number' }).notNull(),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull(),
    reasoningTokens: bigint('reasoning_tokens', { mode: 'number' }).notNull(),
    costNano: nano('cost_nano').notNull(),
  },
  (table) => [primaryKey({ columns: [table.keyId, table.date, table.publicModel, table.period] }), index('ledger_daily_date_idx').on(table.date)],
);

export const refusals = pgTable(
  'refusals',
  {
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    date: text('date').notNull(),
    reason: text('reason').$type<RefusalReason>().notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.keyId, table.date, table.reason] }), index('refusals_date_idx').on(table.date)],
);

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    planId: text('plan_id').notNull().references(() => plans.id),
    email: text('email').notNull(),
    amountNano: nano('amount_nano').notNull(),
    currency: text('currency').notNull().default('USD'),
    status: text('status').$type<OrderStatus>().notNull().default('created'),
    statusReason: text('status_reason'),
    paypalOrderId: text('paypal_order_id'),
    paypalRequestId: text('paypal_request_id').notNull(),
    viewTokenHash: text('view_token_hash').notNull(),
    approveUrl: text('approve_url'),
    captureRequestId: text('capture_request_id'),
    nextCheckAt: millis('next_check_at'),
    lang: text('lang').$type<MailLang>().notNull().default('en'),
    topupKeyId: text('topup_key_id').references(() => apiKeys.id),
    keyId: text('key_id').references(() => apiKeys.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    paidAt: millis('paid_at'),
  },
  (table) => [
    uniqueIndex('orders_paypal_order_unique').on(table.paypalOrderId),
    index('orders_status_idx').on(table.status),
    index('orders_email_idx').on(table.email),
    index('orders_reconcile_idx').on(table.status, table.nextCheckAt),
  ],
);

/** See ../schema.ts: what each paid order put on a key, one row per order. */
export const credits = pgTable(
  'credits',
  {
    id: serialId(),
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    orderId: text('order_id').notNull().references(() => orders.id),
    kind: text('kind').$type<'purchase' | 'topup'>().notNull(),
    amountNano: nano('amount_nano').notNull(),
    budgetAddedNano: nano('budget_added_nano').notNull(),
    expiresBefore: millis('expires_before'),
    expiresAfter: millis('expires_after'),
    planBefore: text('plan_before'),
    planAfter: text('plan_after').notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('credits_order_unique').on(table.orderId), index('credits_key_idx').on(table.keyId, table.id)],
);

/** See ../schema.ts: mail waiting to be sent, or sent. */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: serialId(),
    kind: text('kind').$type<MailKind>().notNull(),
    toEmail: text('to_email').notNull(),
    lang: text('lang').$type<MailLang>().notNull(),
    dedupeKey: text('dedupe_key'),
    params: json('params').$type<Record<string, unknown>>().notNull(),
    resend: boolean('resend').notNull().default(false),
    status: text('status').$type<MailStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: millis('next_attempt_at').notNull(),
    subject: text('subject'),
    messageId: text('message_id').notNull(),
    smtpResponse: text('smtp_response'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: millis('sent_at'),
  },
  (table) => [uniqueIndex('mail_outbox_dedupe_unique').on(table.dedupeKey), index('mail_outbox_due_idx').on(table.status, table.nextAttemptAt)],
);

export const payments = pgTable(
  'payments',
  {
    id: serialId(),
    orderId: text('order_id').notNull().references(() => orders.id),
    paypalCaptureId: text('paypal_capture_id').notNull(),
    status: text('status').notNull(),
    amountNano: nano('amount_nano').notNull(),
    currency: text('currency').notNull(),
    refundedNano: nano('refunded_nano').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [uniqueIndex('payments_capture_unique').on(table.paypalCaptureId), index('payments_order_idx').on(table.orderId)],
);

export const webhookEvents = pgTable('webhook_events', {
  id: text('id').primaryKey(),
  eventType: text('event_type').notNull(),
  resourceId: text('resource_id'),
  orderId: text('order_id'),
  verified: boolean('verified').notNull(),
  result: text('result'),
  receivedAt: createdAt(),
  processedAt: millis('processed_at'),
});

export const upstreamKeys = pgTable('upstream_keys', {
  id: text('id').primaryKey(),
  label: text('label').notNull(),
  keyEncrypted: text('key_encrypted').notNull(),
  keyHint: text('key_hint').notNull(),
  status: text('status').$type<'active' | 'failing' | 'removed'>().notNull().default('active'),
  failureReason: text('failure_reason'),
  balanceText: text('balance_text'),
  balanceCheckedAt: millis('balance_checked_at'),
  createdAt: createdAt(),
});

export const auditLog = pgTable(
  'audit_log',
  {
    id: serialId(),
    at: createdAt(),
    actor: text('actor').notNull(),
    ip: text('ip'),
    action: text('action').notNull(),
    target: text('target'),
    before: json('before'),
    after: json('after'),
  },
  (table) => [index('audit_log_at_idx').on(table.at)],
);

// ---- only in the scale-out mode ----

/**
 * One row per admitted request while it runs: what it holds against its key's budget and which
 * instance admitted it. Settling deletes the row; the sweeper deletes the rows of instances that
 * stopped heartbeating and gives their amounts back to `api_keys.held_nano` / `in_flight`.
 */
export const holds = pgTable(
  'holds',
  {
    requestId: text('request_id').primaryKey(),
    keyId: text('key_id').notNull().references(() => apiKeys.id),
    nano: nano('nano').notNull(),
    instanceId: text('instance_id').notNull(),
    createdAt: createdAt(),
  },
  (table) => [index('holds_instance_idx').on(table.instanceId), index('holds_key_idx').on(table.keyId), check('holds_nano_not_negative', sql`${table.nano} >= 0`)],
);

/** A running gateway process: written at start, `last_seen` refreshed by its heartbeat (the database's clock). */
export const instances = pgTable(
  'instances',
  {
    id: text('id').primaryKey(),
    host: text('host').notNull(),
    pid: integer('pid').notNull(),
    version: text('version').notNull(),
    startedAt: millis('started_at').notNull().default(now),
    lastSeen: millis('last_seen').notNull().default(now),
  },
  (table) => [index('instances_last_seen_idx').on(table.lastSeen)],
);

/** A counter per cache topic, bumped with every invalidation: the periodic check that catches a missed message. */
export const cacheVersions = pgTable('cache_versions', {
  topic: text('topic').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});
