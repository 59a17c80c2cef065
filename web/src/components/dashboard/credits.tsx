import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Credit } from '../../api/types';
import { useI18n } from '../../i18n';
import { dateTime, usd } from '../../lib/format';

/** What each paid order put on the key: its purchase and every top-up, newest first. */
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
  }, [props.apiKey, props.refresh]);
  if (!rows || rows.length === 0) return <p class="muted">{c.creditsEmpty}</p>;
  return (
    <ul class="credits" id="credits-list">
      {rows.map((row) => (
        <li key={row.order_id} data-order={row.order_id}>
          <strong>{row.kind === 'topup' ? c.kindTopup : c.kindPurchase}</strong> · {dateTime(row.created_at, lang)} · <code>{row.order_id}</code>
          <div class="small">
            {c.paid} {usd(row.amount_usd)} · {c.added} {usd(row.budget_added_usd)}
            {row.expires_after && (
              <>
                {' · '}
                {c.validUntil} {dateTime(row.expires_after, lang)}
              </>
            )}
            {row.plan_before && row.plan_before !== row.plan_after && (
              <>
                {' · '}
                {row.plan_before} → {row.plan_after}
              </>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
