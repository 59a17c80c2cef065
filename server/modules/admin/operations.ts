import { Elysia } from 'elysia';
import type { Protocol } from '../../db/schema';
import { Err } from '../../errors';
import { formatUsd } from '../../lib/money';
import { DEFAULT_PRICES } from '../catalog/defaults';
import { TRANSLATED_TEXTS, type TranslatedText } from '../catalog/site';
import { costOf } from '../catalog/price-book';
import { upstreamIdFor, type Upstream } from '../proxy/upstream-pool';
import { defined, detail, pageOf, timeField, usdField, type AdminContext, type Caller } from './context';
import {
  AuditList,
  AuditQuery,
  DaysQuery,
  IdParams,
  LedgerList,
  LedgerQuery,
  OverviewView,
  Removed,
  SettingsBody,
  SettingsView,
  UpstreamBody,
  UpstreamList,
  UpstreamView,
} from './model';
import type { LedgerFilter } from './store';
import { earnedNano } from './overview-figures';
import { refusedView } from '../metering/refusals';
import { iso, LEDGER_CSV_COLUMNS, ledgerCsvLine, ledgerView, upstreamView } from './views';

const DAY_MS = 86_400_000;

/** The admin API's names of the translated settings. */
const SETTING_NAMES: Record<TranslatedText, string> = {
  disclaimer: 'disclaimer',
  supportContact: 'support_contact',
  announcement: 'announcement',
  terms: 'terms',
  privacy: 'privacy',
  refunds: 'refunds',
};
const CSV_PAGE = 500;

/** DeepSeek's own list prices (defaults.ts), by public model and period. */
const DEEPSEEK_PRICES = new Map(DEFAULT_PRICES.map((p) => [`${p.modelId}\u0000${p.period}`, p]));

function ledgerFilter(query: { key_id?: string; model?: string; protocol?: Protocol; status?: string; from?: string; to?: string }): LedgerFilter {
  const status = query.status === undefined ? undefined : query.status === 'ok' || query.status === 'error' ? query.status : Number(query.status);
  return {
    keyId: query.key_id || undefined,
    model: query.model || undefined,
    protocol: query.protocol,
    status,
    from: query.from ? timeField('from', query.from) : undefined,
    to: query.to ? timeField('to', query.to) : undefined,
  };
}

export function operationsRoutes(ctx: AdminContext) {
  const { deps, store } = ctx;
  const { pool, site, config } = deps;
  const settingsView = () => {
    const s = site.get();
    return {
      site_name: s.siteName,
      disclaimer: s.disclaimer,
      disclaimer_zh: s.disclaimerZh,
      support_contact: s.supportContact,
      support_contact_zh: s.supportContactZh,
      announcement: s.announcement,
      announcement_zh: s.announcementZh,
      terms: s.terms,
      terms_zh: s.termsZh,
      privacy: s.privacy,
      privacy_zh: s.privacyZh,
      refunds: s.refunds,
      refunds_zh: s.refundsZh,
      // a Chinese text is missing where the English one says something and the Chinese one is empty
      missing_zh: TRANSLATED_TEXTS.filter((f) => s[f].trim() !== '' && s[`${f}Zh`].trim() === '').map((f) => SETTING_NAMES[f]),
      public_url: config.publicUrl,
      show_reasoning_default: s.showReasoningDefault,
      low_balance_warning_usd: formatUsd(usdField('low_balance_warning_usd', s.lowBalanceWarningUsd)),
    };
  };
  /** Applies an operator's change to one upstream and audits its view before and after. */
  const changeUpstream = async (caller: Caller, id: string, action: string, change: (upstream: Upstream) => unknown) => {
    const upstream = pool.get(id);
    if (!upstream) throw Err.adminNotFound('upstream', id);
    const before = upstreamView(upstream);
    await change(upstream);
    const data = upstreamView(upstream);
    await ctx.audit(caller, action, upstream.id, before, data);
    return data;
  };

  return new Elysia({ name: 'admin-operations', prefix: '/admin/api' })
    .get(
      '/overview',
      async ({ query }) => {
        const now = ctx.now();
        const days = query.days ?? 30;
        const todayStart = Math.floor(now / DAY_MS) * DAY_MS;
        const since = todayStart - (days - 1) * DAY_MS;
        const revenue = await store.revenueByDay(since);
        const revenueNano = revenue.reduce((sum, d) => sum + d.revenueNano, 0);
        let buyerSpendNano = 0;
        let upstreamNano = 0;
        for (const row of await store.tokensByModel(since)) {
          buyerSpendNano += row.costNano;
          const list = DEEPSEEK_PRICES.get(`${row.model}\u0000${row.period}`);
          upstreamNano += list
            ? costOf({ cacheHitTokens: row.cacheHit, cacheMissTokens: row.cacheMiss, outputTokens: row.output, reasoningTokens: 0 }, list)
            : row.costNano;
        }
        const today = await store.requestsSince(todayStart);
        const byStatus = await store.ordersByStatus(since);
        const activeKeys = await store.activeKeys(now);
        const spend = await store.spendByDay(since);
        const earned = earnedNano(await store.earnedRows(since));
        const owed = await store.owed(now);
        const refused = await deps.metering.refusals.totals({ fromDate: new Date(todayStart).toISOString().slice(0, 10) });
        // DeepSeek's own refusals already have their ledger row (and count in today's errors there)
        const refusedOnly = refused.total - (refused.byReason.upstream_rejected ?? 0);
        const attempts = today.requests + refusedOnly;
        return {
          days,
          revenue_usd: formatUsd(revenueNano),
          paid_orders: revenue.reduce((sum, d) => sum + d.orders, 0),
          revenue_by_day: revenue.map((d) => ({ date: d.date, revenue_usd: formatUsd(d.revenueNano), orders: d.orders })),
          orders_by_status: Object.fromEntries(byStatus.map((s) => [s.status, s.n])),
          buyer_spend_usd: formatUsd(buyerSpendNano),
          upstream_cost_usd: formatUsd(upstreamNano),
          earned_usd: formatUsd(earned),
          margin_usd: formatUsd(earned - upstreamNano),
          owed_usd: formatUsd(owed.owedNano),
          owed_keys: owed.keys,
          active_keys: activeKeys,
          requests_today: today.requests,
          errors_today: today.errors + refusedOnly,
          refused_today: refusedView(refused),
          error_rate_today: attempts === 0 ? 0 : (today.errors + refusedOnly) / attempts,
          current_period: deps.catalog.periodAt(new Date(now)),
          spend_by_day: spend.map((d) => ({ date: d.date, spend_usd: formatUsd(d.spendNano), requests: d.requests })),
        };
      },
      {
        query: DaysQuery,
        response: OverviewView,
        detail: detail(
          'Revenue, spend, margin and today\'s traffic',
          'Days are UTC; the window is today and the days-1 days before it. revenue_usd: paid orders, net of refunds recorded on them (cash in, spent or not). buyer_spend_usd: the budget buyers used (the ledger). upstream_cost_usd: the ledger\'s tokens priced at DeepSeek\'s list prices (the default price book), or at what the buyer paid for models DeepSeek\'s list does not name. earned_usd: revenue attributable to the budget used: each key\'s spend times what was paid for the key over its budget (a key the operator gave away earns nothing). margin_usd: earned_usd minus upstream_cost_usd, so unspent prepaid budget is not counted as profit. owed_usd: the budget still owed to buyers, the remaining budget of every active key that has not expired (owed_keys of them), whenever it was bought. requests_today: ledger rows (requests that reached DeepSeek); refused_today: requests of known keys the gateway refused today, by reason; errors_today and error_rate_today count both (a refusal by DeepSeek once).',
        ),
      },
    )
    .get('/upstreams', () => ({ data: pool.list().map(upstreamView), low_balance_warning_usd: settingsView().low_balance_warning_usd }), {
      response: UpstreamList,
      detail: detail('The DeepSeek keys: env and admin-added, their state and last balance'),
    })
    .post(
      '/upstreams',
      async ({ body, request, server }) => {
        const key = body.key.trim();
        const existing = pool.get(upstreamIdFor(key));
        if (existing && existing.state !== 'removed') throw Err.conflict(`this key is already in the pool as ${existing.id}`);
        const upstream = await pool.add(key, { source: 'admin', label: body.label?.trim() || undefined });
        const data = upstreamView(upstream);
        await ctx.audit({ request, server }, 'upstream.add', upstream.id, null, data);
        return data;
      },
      { body: UpstreamBody, response: UpstreamView, detail: detail('Adds a DeepSeek key (stored encrypted; in rotation at once)') },
    )
    .delete(
      '/upstreams/:id',
      async ({ params, request, server }) => {
        await changeUpstream({ request, server }, params.id, 'upstream.remove', (upstream) => {
          if (upstream.source === 'env') throw Err.conflict('keys from DEEPSEEK_API_KEY are configuration: remove them there and restart');
          return pool.remove(upstream.id);
        });
        return { removed: true as const };
      },
      { params: IdParams, response: Removed, detail: detail('Takes an admin-added key out of the pool') },
    )
    .post('/upstreams/:id/restore', ({ params, request, server }) => changeUpstream({ request, server }, params.id, 'upstream.restore', (u) => pool.restore(u.id)), {
      params: IdParams,
      response: UpstreamView,
      detail: detail('Puts a key back in rotation'),
    })
    .post('/upstreams/:id/check', ({ params, request, server }) => changeUpstream({ request, server }, params.id, 'upstream.check', (u) => pool.checkBalance(u.id)), {
      params: IdParams,
      response: UpstreamView,
      detail: detail("Reads the key's balance from DeepSeek's GET /user/balance now"),
    })
    .get(
      '/ledger',
      async ({ query }) => {
        const { rows, total } = await store.ledger(ledgerFilter(query), pageOf(query));
        return { data: rows.map(ledgerView), total };
      },
      { query: LedgerQuery, response: LedgerList, detail: detail('Ledger rows, newest first') },
    )
    .get(
      '/ledger.csv',
      ({ query }) => {
        const filter = ledgerFilter(query);
        const encoder = new TextEncoder();
        let beforeId: number | null = null;
        let started = false;
        // Pages through the table as the client reads: never the whole export in memory.
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (!started) {
              started = true;
              controller.enqueue(encoder.encode(`${LEDGER_CSV_COLUMNS.join(',')}\r\n`));
              return;
            }
            const rows = await store.ledgerBefore(filter, beforeId, CSV_PAGE);
            if (rows.length > 0) {
              controller.enqueue(encoder.encode(rows.map(ledgerCsvLine).join('')));
              beforeId = rows[rows.length - 1]!.id;
            }
            if (rows.length < CSV_PAGE) controller.close();
          },
        });
        const day = new Date(ctx.now()).toISOString().slice(0, 10);
        return new Response(stream, {
          headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="ledger-${day}.csv"`, 'cache-control': 'no-store' },
        });
      },
      {
        query: LedgerQuery,
        detail: {
          ...detail('Every matching ledger row as CSV, streamed'),
          responses: {
            200: {
              description: 'The matching ledger rows as CSV (a header line, then one line per row, newest first)',
              content: { 'text/csv': { schema: { type: 'string' }, example: `${LEDGER_CSV_COLUMNS.join(',')}\r\n` } },
            },
          },
        },
      },
    )
    .get('/settings', settingsView, { response: SettingsView, detail: detail("The site's settings") })
    .patch(
      '/settings',
      async ({ body, request, server }) => {
        const before = settingsView();
        await site.update(
          defined({
            siteName: body.site_name,
            disclaimer: body.disclaimer,
            disclaimerZh: body.disclaimer_zh,
            supportContact: body.support_contact,
            supportContactZh: body.support_contact_zh,
            announcement: body.announcement,
            announcementZh: body.announcement_zh,
            terms: body.terms,
            termsZh: body.terms_zh,
            privacy: body.privacy,
            privacyZh: body.privacy_zh,
            refunds: body.refunds,
            refundsZh: body.refunds_zh,
            showReasoningDefault: body.show_reasoning_default,
            lowBalanceWarningUsd: body.low_balance_warning_usd === undefined ? undefined : formatUsd(usdField('low_balance_warning_usd', body.low_balance_warning_usd)),
          }),
        );
        const data = settingsView();
        await ctx.audit({ request, server }, 'settings.update', 'site', before, data);
        return data;
      },
      { body: SettingsBody, response: SettingsView, detail: detail("Changes the site's settings (public_url is configuration)") },
    )
    .get(
      '/audit',
      async ({ query }) => {
        const { rows, total } = await store.audit({ action: query.action, target: query.target }, pageOf(query));
        const data = rows.map((r) => ({ id: r.id, at: iso(r.at), actor: r.actor, ip: r.ip, action: r.action, target: r.target, before: r.before, after: r.after }));
        return { data, total, actions: await store.auditActions() };
      },
      { query: AuditQuery, response: AuditList, detail: detail('The audit log, newest first (read-only)') },
    );
}

