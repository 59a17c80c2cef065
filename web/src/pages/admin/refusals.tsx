import { RefusedList, reasonName } from '../../components/refused';
import { useI18n } from '../../i18n';
import { dateOnly, integer } from '../../lib/format';
import { AdminErrorNotice, useLoad } from './shared';

// Refused requests in the console: one key's (its page), and every key's per day and reason for
// the ledger page's filter. Refusals are counted apart from the ledger: they cost nothing.

/** A key's refused requests: in all by reason, and the last 30 days that had any. */
export function KeyRefusals(props: { id: string }) {
  const { t, lang } = useI18n();
  const loaded = useLoad((api) => api.keyRefusals(props.id), [props.id]);
  const reasons = t.refused.reasons as Record<string, string>;
  return (
    <section class="card" aria-labelledby="key-refused-title">
      <h2 id="key-refused-title">{t.refused.title}</h2>
      <AdminErrorNotice error={loaded.error} />
      {loaded.data && (
        <>
          <RefusedList refused={loaded.data.refused} id="key-refused" />
          {loaded.data.by_day.length > 0 && (
            <div class="table-wrap">
              <table class="admin-table stack stack-compact" id="key-refused-days">
                <thead>
                  <tr>
                    <th scope="col">{t.admin.ledger.colTime}</th>
                    <th scope="col">{t.refused.title}</th>
                  </tr>
                </thead>
                <tbody>
                  {[...loaded.data.by_day].reverse().map((day) => (
                    <tr key={day.date} data-date={day.date}>
                      <th scope="row">{dateOnly(day.date, lang)}</th>
                      <td data-label={t.refused.title}>
                        <span>
                          {Object.entries(day.refused.by_reason)
                            .map(([reason, n]) => `${reasonName(reason, reasons)}: ${integer(n ?? 0, lang)}`)
                            .join(' · ')}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** The ledger page's refusals for its key and day filter: totals by reason, then per key, day and reason. */
export function LedgerRefusals(props: { keyId: string; from: string; to: string }) {
  const { t, lang } = useI18n();
  const day = (iso: string) => (iso ? iso.slice(0, 10) : undefined);
  const loaded = useLoad((api) => api.refusals({ key_id: props.keyId, from: day(props.from), to: day(props.to), limit: 100 }), [props.keyId, props.from, props.to]);
  const reasons = t.refused.reasons as Record<string, string>;
  return (
    <section class="card" aria-labelledby="refusals-title" id="refusals">
      <h2 id="refusals-title">{t.refused.title}</h2>
      <p class="help">{t.admin.ledger.refusedLead}</p>
      <AdminErrorNotice error={loaded.error} />
      {loaded.data && <RefusedList refused={loaded.data.refused} id="ledger-refused" />}
      {loaded.data && loaded.data.data.length > 0 && (
        <div class="table-wrap">
          <table class="admin-table stack stack-compact" id="refusals-table">
            <thead>
              <tr>
                <th scope="col">{t.admin.ledger.colTime}</th>
                <th scope="col">{t.admin.ledger.colKey}</th>
                <th scope="col">{t.refused.reason}</th>
                <th scope="col" class="num">
                  {t.refused.count}
                </th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.data.map((row) => (
                <tr key={`${row.key_id}-${row.date}-${row.reason}`} data-key-id={row.key_id} data-reason={row.reason}>
                  <td data-label={t.admin.ledger.colTime}>{dateOnly(row.date, lang)}</td>
                  <td data-label={t.admin.ledger.colKey}>
                    <a href={`/admin/keys/${encodeURIComponent(row.key_id)}`}>
                      <code>{row.key_hint ?? row.key_id}</code>
                    </a>
                  </td>
                  <td data-label={t.refused.reason}>{reasonName(row.reason, reasons)}</td>
                  <td class="num" data-label={t.refused.count}>
                    {integer(row.count, lang)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
