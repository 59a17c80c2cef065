import type { Period } from '../../db/schema';
import { csvCell } from '../../lib/csv';
import { formatUsd } from '../../lib/money';
import type { CatalogService } from '../catalog/service';
import type { ModelRow, PlanRow } from '../catalog/store';
import { pricesPerMillion } from '../catalog/views';
import type { OrderRow } from '../checkout/store';
import type { OutboxRow } from '../mail/outbox';
import type { CreditRow } from '../metering/service';
import type { MeteringService } from '../metering/service';
import type { KeyRow, LedgerRow } from '../metering/store';
import type { Upstream } from '../proxy/upstream-pool';

// The admin API's JSON shapes (API.md): snake_case, money as nine-decimal USD strings, ISO times.

export function iso(ms: number): string;
export function iso(ms: number | null | undefined): string | null;
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export function keyView(key: KeyRow, now: number) {
  const expired = key.expiresAt !== null && key.expiresAt <= now && key.status !== 'disabled';
  return {
    id: key.id,
    key_hint: key.keyHint,
    plan_id: key.planId,
    status: expired ? 'expired' : key.status,
    status_reason: key.statusReason,
    budget_usd: formatUsd(key.budgetNano),
    spent_usd: formatUsd(key.spentNano),
    remaining_usd: formatUsd(Math.max(0, key.budgetNano - key.spentNano)),
    expires_at: iso(key.expiresAt),
    email: key.email,
    note: key.note,
    rpm: key.rpmOverride,
    concurrency: key.concurrencyOverride,
    show_reasoning: key.showReasoning,
    order_id: key.orderId,
    created_at: iso(key.createdAt),
    last_used_at: iso(key.lastUsedAt),
  };
}

export function ledgerView(r: LedgerRow) {
  return {
    id: r.id,
    request_id: r.requestId,
    key_id: r.keyId,
    protocol: r.protocol,
    model: r.publicModel,
    upstream_model: r.upstreamModel,
    period: r.period,
    stream: r.stream,
    status: r.httpStatus,
    finish_reason: r.finishReason,
    prompt_cache_hit_tokens: r.cacheHitTokens,
    prompt_cache_miss_tokens: r.cacheMissTokens,
    completion_tokens: r.outputTokens,
    reasoning_tokens: r.reasoningTokens,
    server_tool_calls: { web_search: r.webSearchCalls, read_url: r.readUrlCalls, file_parse: r.fileParseCalls },
    server_tool_cost_usd: formatUsd(r.serverToolCostNano),
    cost_usd: formatUsd(r.costNano),
    basis: r.basis,
    started_at: iso(r.startedAt),
    duration_ms: r.durationMs,
  };
}

export const LEDGER_CSV_COLUMNS = [
  'id', 'request_id', 'key_id', 'model', 'upstream_model', 'period', 'stream', 'status', 'finish_reason',
  'prompt_cache_hit_tokens', 'prompt_cache_miss_tokens', 'completion_tokens', 'reasoning_tokens', 'cost_usd', 'basis', 'started_at', 'duration_ms',
  // added later: last, so that a sheet reading the columns by position still lines up
  'protocol',
  'web_search_calls', 'read_url_calls', 'file_parse_calls', 'server_tool_cost_usd',
] as const;

export function ledgerCsvLine(r: LedgerRow): string {
  const view = { ...ledgerView(r), web_search_calls: r.webSearchCalls, read_url_calls: r.readUrlCalls, file_parse_calls: r.fileParseCalls } as Record<string, unknown>;
  return `${LEDGER_CSV_COLUMNS.map((c) => csvCell(view[c])).join(',')}\r\n`;
}

export async function orderAdminView(order: OrderRow, metering: MeteringService) {
  const key = order.keyId ? await metering.keyById(order.keyId) : undefined;
  return {
    id: order.id,
    plan_id: order.planId,
    email: order.email,
    amount_usd: formatUsd(order.amountNano),
    currency: order.currency,
    status: order.status,
    status_reason: order.statusReason,
    paypal_order_id: order.paypalOrderId,
    key_id: order.keyId,
    key_hint: key?.keyHint ?? null,
    created_at: iso(order.createdAt),
    paid_at: iso(order.paidAt),
  };
}

export function planView(p: PlanRow) {
  const missingZh = [...(p.nameZh.trim() === '' ? ['name'] : []), ...(p.descriptionZh.trim() === '' && p.description.trim() !== '' ? ['description'] : [])];
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    name_zh: p.nameZh,
    description_zh: p.descriptionZh,
    missing_zh: missingZh,
    price_usd: formatUsd(p.priceNano),
    budget_usd: formatUsd(p.budgetNano),
    models: p.models,
    rpm: p.rpm,
    max_concurrency: p.maxConcurrency,
    validity_days: p.validityDays,
    sort_order: p.sortOrder,
    retired: p.retired,
  };
}

export function modelView(m: ModelRow, catalog: CatalogService) {
  const perMillion = (period: Period) => {
    try {
      return pricesPerMillion(catalog.pricesFor(m.id, period));
    } catch {
      return null;
    }
  };
  return {
    id: m.id,
    name: m.displayName,
    upstream_model: m.upstreamModel,
    thinking: m.thinking,
    max_output_tokens: m.maxOutputTokens,
    retired: m.retired,
    aliases: catalog
      .aliasRows()
      .filter((a) => a.modelId === m.id)
      .map((a) => ({ alias: a.alias, thinking: a.thinking })),
    prices: { peak: perMillion('peak'), off_peak: perMillion('off_peak') },
  };
}

export function upstreamView(u: Upstream) {
  return {
    id: u.id,
    label: u.label,
    key_hint: u.hint,
    source: u.source,
    state: u.state,
    reason: u.reason,
    in_flight: u.inFlight,
    balance: u.balance ? { currency: u.balance.currency, total: u.balance.total, checked_at: iso(u.balance.checkedAt), low: u.balance.low } : null,
  };
}

export function creditView(c: CreditRow) {
  return {
    id: c.id,
    key_id: c.keyId,
    order_id: c.orderId,
    kind: c.kind,
    amount_usd: formatUsd(c.amountNano),
    budget_added_usd: formatUsd(c.budgetAddedNano),
    expires_before: iso(c.expiresBefore),
    expires_after: iso(c.expiresAfter),
    plan_before: c.planBefore,
    plan_after: c.planAfter,
    created_at: iso(c.createdAt),
  };
}

export function mailView(m: OutboxRow) {
  const param = (name: string) => (typeof m.params[name] === 'string' ? (m.params[name] as string) : null);
  return {
    id: m.id,
    kind: m.kind,
    to: m.toEmail,
    lang: m.lang,
    status: m.status,
    resend: m.resend,
    attempts: m.attempts,
    subject: m.subject,
    smtp_response: m.smtpResponse,
    order_id: param('order_id'),
    key_id: param('key_id'),
    created_at: iso(m.createdAt),
    next_attempt_at: m.status === 'pending' ? iso(m.nextAttemptAt) : null,
    sent_at: iso(m.sentAt),
  };
}
