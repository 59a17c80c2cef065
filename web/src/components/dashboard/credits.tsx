import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Credit } from '../../api/types';
import { useI18n } from '../../i18n';
import { dateTime } from '../../lib/format';
import { Money } from '../ui';

/** What each paid order put on the key: its purchase and every top-up, newest first (a table; cards on a phone). */
export function CreditsList(props: { apiKey: string; refresh?: unknown }) {
  const { t, lang } = useI18n();
  const c = t.topup;
  const [rows, setRows] = useState<Credit[] | null>(null);
  useEffect(() => {
    let live = true;
    // an older server without the route: the section just stays empty
    api.credits(props.apiKey).then(
      (list) => live && setRows(list.data),
      () => live && setRows([]),
    );
    return () => {
      live = false;
    };
  }, [props.apiKey, props.refresh, lang]);
  if (!rows || rows.length === 0) return <p class="muted">{c.creditsEmpty}</p>;
  const planName = (id: string | null, name: string | null | undefined) => name ?? id ?? '—';
  return (
    <div class="table-wrap">
      <table class="stack stack-compact credits" id="credits-list">
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
          {rows.map((row) => (
            <tr key={row.order_id} data-order={row.order_id}>
              <th scope="row">
                {row.kind === 'topup' ? c.kindTopup : c.kindPurchase} <code class="small credits-order">{row.order_id}</code>
              </th>
              <td data-label={c.colDate}>{dateTime(row.created_at, lang)}</td>
              <td class="num" data-label={c.colPaid}>
                <Money value={row.amount_usd} />
              </td>
              <td class="num" data-label={c.colAdded}>
                <Money value={row.budget_added_usd} />
              </td>
              <td data-label={c.colValidUntil}>{row.expires_after ? dateTime(row.expires_after, lang) : t.dashboard.never}</td>
              <td data-label={c.colPlan}>
                {row.plan_before && row.plan_before !== row.plan_after
                  ? `${planName(row.plan_before, row.plan_before_name)} → ${planName(row.plan_after, row.plan_after_name)}`
                  : planName(row.plan_after, row.plan_after_name)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
