import { useI18n } from '../../i18n';
import { fmt, integer, percent, usd } from '../../lib/format';
import { AdminErrorNotice, DayBars, periodName, StatusBadge, useLoad } from './shared';
import { Loading } from '../../components/ui';

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
  const stats: [string, string, string?][] = [
    [o.revenue, usd(data.revenue_usd), fmt(o.paidOrders, { n: integer(data.paid_orders, lang) })],
    [o.spend, usd(data.buyer_spend_usd)],
    [o.upstreamCost, usd(data.upstream_cost_usd)],
    [o.margin, usd(data.margin_usd)],
    [o.activeKeys, integer(data.active_keys, lang)],
    [o.requestsToday, integer(data.requests_today, lang)],
    [o.errorRate, percent(data.error_rate_today, lang), fmt(o.errorsToday, { n: integer(data.errors_today, lang) })],
    [o.period, periodName(data.current_period, t)],
  ];
  return (
    <>
      <h1>{t.admin.nav.overview}</h1>
      <p class="muted">{o.last30}</p>
      <dl class="admin-stats" id="overview-stats">
        {stats.map(([label, value, note]) => (
          <div key={label} class="card">
            <dt>{label}</dt>
            <dd class="big">{value}</dd>
            {note && <dd class="small muted">{note}</dd>}
          </div>
        ))}
      </dl>
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
