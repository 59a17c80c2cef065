import { useI18n } from '../../i18n';
import { fmt, integer, percent } from '../../lib/format';
import { AdminErrorNotice, DayBars, periodName, StatusBadge, useLoad } from './shared';
import { Loading, Money } from '../../components/ui';
import { reasonName } from '../../components/refused';

/** The last `n` UTC dates, oldest first, with zeros where the API had no row. */
function lastDays<T extends { date: string }>(rows: T[], n: number, empty: (date: string) => T): T[] {
  const byDate = new Map(rows.map((r) => [r.date, r]));
  return Array.from({ length: n }, (_, i) => {
    const date = new Date(Date.now() - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    return byDate.get(date) ?? empty(date);
  });
}

export default function Overview() {
  const { t, lang } = useI18n();
  const o = t.admin.overview;
  const { data, error } = useLoad((api) => api.overview(30), []);
  if (!data) return error ? <AdminErrorNotice error={error} /> : <Loading />;
  const refused = data.refused_today ?? { total: 0, by_reason: {} };
  const reasons = t.refused.reasons as Record<string, string>;
  // [id, label, value, note under it]
  const money: [string, string, string | undefined, string?][] = [
    ['revenue', o.revenue, data.revenue_usd, fmt(o.paidOrders, { n: integer(data.paid_orders, lang) })],
    ['spend', o.spend, data.buyer_spend_usd],
    ['earned', o.earned, data.earned_usd, o.earnedNote],
    ['upstream', o.upstreamCost, data.upstream_cost_usd, o.upstreamNote],
    ['margin', o.margin, data.margin_usd, o.marginNote],
    ['owed', o.owed, data.owed_usd, data.owed_keys === undefined ? undefined : fmt(o.owedKeys, { n: integer(data.owed_keys, lang) })],
  ];
  const traffic: [string, string, string, string?][] = [
    ['active-keys', o.activeKeys, integer(data.active_keys, lang)],
    ['requests-today', o.requestsToday, integer(data.requests_today, lang)],
    ['refused-today', o.refusedToday, integer(refused.total, lang)],
    ['error-rate', o.errorRate, percent(data.error_rate_today, lang), fmt(o.errorsToday, { n: integer(data.errors_today, lang) })],
    ['period', o.period, periodName(data.current_period, t)],
  ];
  return (
    <>
      <h1>{t.admin.nav.overview}</h1>
      <p class="muted">{o.last30}</p>
      <dl class="admin-stats" id="overview-stats">
        {money.map(([id, label, value, note]) => (
          <div key={id} class="card" data-stat={id}>
            <dt>{label}</dt>
            <dd class="big">
              <Money value={value ?? null} />
            </dd>
            {note && <dd class="small muted">{note}</dd>}
          </div>
        ))}
        {traffic.map(([id, label, value, note]) => (
          <div key={id} class="card" data-stat={id}>
            <dt>{label}</dt>
            <dd class="big">{value}</dd>
            {note && <dd class="small muted">{note}</dd>}
          </div>
        ))}
      </dl>
      <details class="card admin-help" id="overview-help">
        <summary>{o.helpTitle}</summary>
        <dl class="facts admin-facts">
          <dt>{o.revenue}</dt>
          <dd>{o.helpRevenue}</dd>
          <dt>{o.spend}</dt>
          <dd>{o.helpSpend}</dd>
          <dt>{o.earned}</dt>
          <dd>{o.helpEarned}</dd>
          <dt>{o.upstreamCost}</dt>
          <dd>{o.helpUpstream}</dd>
          <dt>{o.margin}</dt>
          <dd id="help-margin">{o.helpMargin}</dd>
          <dt>{o.owed}</dt>
          <dd>{o.helpOwed}</dd>
          <dt>{o.errorRate}</dt>
          <dd>{o.helpErrors}</dd>
        </dl>
      </details>
      {refused.total > 0 && (
        <section class="card" aria-labelledby="refused-today-title">
          <h2 id="refused-today-title">{o.refusedTodayTitle}</h2>
          <dl class="facts wide refused-reasons" id="overview-refused">
            {Object.entries(refused.by_reason).map(([reason, n]) => (
              <div key={reason} class="refused-row" data-reason={reason}>
                <dt>{reasonName(reason, reasons)}</dt>
                <dd class="num">{integer(n ?? 0, lang)}</dd>
              </div>
            ))}
          </dl>
          <p class="small">
            <a href="/admin/ledger#refusals">{o.refusedMore}</a>
          </p>
        </section>
      )}
      <div class="admin-charts">
        <section class="card">
          <h2>{o.revenueByDay}</h2>
          <DayBars
            title={o.revenueByDay}
            days={lastDays(data.revenue_by_day, 30, (date) => ({ date, revenue_usd: '0', orders: 0 })).map((d) => ({ date: d.date, amount: d.revenue_usd, count: fmt(o.ordersN, { n: integer(d.orders, lang) }) }))}
          />
        </section>
        <section class="card">
          <h2>{o.spendByDay}</h2>
          <DayBars
            title={o.spendByDay}
            days={lastDays(data.spend_by_day, 30, (date) => ({ date, spend_usd: '0', requests: 0 })).map((d) => ({ date: d.date, amount: d.spend_usd, count: fmt(o.requestsN, { n: integer(d.requests, lang) }) }))}
          />
        </section>
      </div>
      <section class="card">
        <h2>{o.ordersByStatus}</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{o.status}</th>
                <th scope="col" class="num">
                  {o.count}
                </th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(data.orders_by_status).map(([status, n]) => (
                <tr key={status}>
                  <td>
                    <StatusBadge status={status} />
                  </td>
                  <td class="num">{integer(n, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
