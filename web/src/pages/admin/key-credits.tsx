import { useI18n } from '../../i18n';
import { dateTime } from '../../lib/format';
import { Money } from '../../components/ui';
import { AdminErrorNotice, useLoad } from './shared';

/** A key's credits on its console page: its purchase and every top-up (a table; cards on a phone). */
export function KeyCredits(props: { id: string; refresh?: unknown }) {
  const { t, lang } = useI18n();
  const c = t.topup;
  const credits = useLoad((api) => api.keyCredits(props.id), [props.id, props.refresh]);
  return (
    <section class="card" aria-labelledby="key-credits-title">
      <h2 id="key-credits-title">{c.creditsTitle}</h2>
      <AdminErrorNotice error={credits.error} />
      {credits.data && credits.data.data.length === 0 && <p class="muted">{c.creditsEmpty}</p>}
      {credits.data && credits.data.data.length > 0 && (
        <div class="table-wrap">
          <table class="admin-table stack stack-compact" id="key-credits">
            <thead>
              <tr>
                <th scope="col">{c.colOrder}</th>
                <th scope="col">{c.colDate}</th>
                <th scope="col" class="num">
                  {c.colPaid}
                </th>
                <th scope="col" class="num">
                  {c.colAdded}
                </th>
                <th scope="col">{c.colValidUntil}</th>
                <th scope="col">{c.colPlan}</th>
              </tr>
            </thead>
            <tbody>
              {credits.data.data.map((row) => (
                <tr key={row.id} data-order={row.order_id}>
                  <th scope="row">
                    {row.kind === 'topup' ? c.kindTopup : c.kindPurchase}{' '}
                    <a class="admin-block small admin-wrap" href={`/admin/orders/${encodeURIComponent(row.order_id)}`}>
                      {row.order_id}
                    </a>
                  </th>
                  <td class="admin-date" data-label={c.colDate}>
                    {dateTime(row.created_at, lang)}
                  </td>
                  <td class="num" data-label={c.colPaid}>
                    <Money value={row.amount_usd} />
                  </td>
                  <td class="num" data-label={c.colAdded}>
                    <Money value={row.budget_added_usd} />
                  </td>
                  <td data-label={c.colValidUntil}>
                    <span>
                      {row.expires_before ? dateTime(row.expires_before, lang) : '—'} → {row.expires_after ? dateTime(row.expires_after, lang) : '—'}
                    </span>
                  </td>
                  <td data-label={c.colPlan}>{row.plan_before && row.plan_before !== row.plan_after ? `${row.plan_before} → ${row.plan_after}` : row.plan_after}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
