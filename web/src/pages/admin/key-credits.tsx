import { useI18n } from '../../i18n';
import { dateTime, usd } from '../../lib/format';
import { AdminErrorNotice, useLoad } from './shared';

/** A key's credits on its console page: its purchase and every top-up. */
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
        <ul class="credits" id="key-credits">
          {credits.data.data.map((row) => (
            <li key={row.id} data-order={row.order_id}>
              <strong>{row.kind === 'topup' ? c.kindTopup : c.kindPurchase}</strong> · {dateTime(row.created_at, lang)} ·{' '}
              <a href={`/admin/orders/${encodeURIComponent(row.order_id)}`}>{row.order_id}</a>
              <div class="small">
                {c.paid} {usd(row.amount_usd)} · {c.added} {usd(row.budget_added_usd)}
                {' · '}
                {c.validUntil} {row.expires_before ? dateTime(row.expires_before, lang) : '—'} → {row.expires_after ? dateTime(row.expires_after, lang) : '—'}
                {row.plan_before && row.plan_before !== row.plan_after && ` · ${row.plan_before} → ${row.plan_after}`}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
