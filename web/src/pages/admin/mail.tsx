import type { MailRow } from '../../api/admin';
import { Notice } from '../../components/ui';
import { useI18n } from '../../i18n';
import { dateTime, fmt } from '../../lib/format';
import { Field, value } from './fields';
import { ActionResult, FilterForm, PagedList, useAction, useFilteredList } from './shared';

// The mail outbox: sent, waiting (with why) and failed mails with the SMTP server's answer; any
// of them can be sent again.

function MailStatus(props: { row: MailRow }) {
  const { t } = useI18n();
  const m = t.admin.mail;
  const tone = props.row.status === 'sent' ? 'badge-active' : props.row.status === 'failed' ? 'badge-frozen' : 'badge-pending';
  return (
    <span class={`badge ${tone}`} data-status={props.row.status}>
      {m.statuses[props.row.status]}
    </span>
  );
}

export default function Mail() {
  const { t, lang } = useI18n();
  const m = t.admin.mail;
  const { draft, setDraft, offset, setOffset, list, apply } = useFilteredList({ status: '', q: '' }, (api, filter, page) => api.mail({ ...filter, ...page }));
  const resend = useAction();
  const info = list.data;
  return (
    <>
      <h1>{t.admin.nav.mail}</h1>
      {info && !info.enabled && (
        <Notice tone="warning" id="mail-off">
          <p>{m.off}</p>
        </Notice>
      )}
      {info?.enabled && (
        <p class="muted" id="mail-on">
          {fmt(m.on, { server: info.server ?? '', from: info.from ?? '' })}{' '}
          {fmt(m.counts, { sent: info.counts.sent, pending: info.counts.pending + info.counts.sending, failed: info.counts.failed })}
        </p>
      )}
      <FilterForm onSubmit={apply}>
        <Field id="mail-status" label={m.status}>
          <select id="mail-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: value(e) })}>
            <option value="">{t.admin.any}</option>
            {(['pending', 'sent', 'failed'] as const).map((s) => (
              <option key={s} value={s}>
                {m.statuses[s]}
              </option>
            ))}
          </select>
        </Field>
        <Field id="mail-q" label={t.admin.search} help={m.searchHelp}>
          <input id="mail-q" value={draft.q} onInput={(e) => setDraft({ ...draft, q: value(e) })} aria-describedby="mail-q-help" />
        </Field>
      </FilterForm>
      <ActionResult error={resend.error} done={resend.done} id="mail-resend" />
      <PagedList list={list} offset={offset} onPage={setOffset}>
        {(rows) => (
          <div class="table-wrap">
            {/* a table on a wide screen, one card per mail on a phone (table.stack) */}
            <table class="admin-table stack stack-compact" id="mail-table">
              <thead>
                <tr>
                  <th scope="col" class="admin-mail-what">
                    {m.colMail}
                  </th>
                  <th scope="col">{m.status}</th>
                  <th scope="col">{m.colTo}</th>
                  <th scope="col">{m.colQueued}</th>
                  <th scope="col">{m.colSent}</th>
                  <th scope="col" class="num">
                    {m.colAttempts}
                  </th>
                  <th scope="col">{m.answer}</th>
                  <th scope="col">
                    <span class="visually-hidden">{m.resend}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.id} data-mail={row.id}>
                    <th scope="row" class="admin-mail-what">
                      {m.kinds[row.kind]} <span class="tag">{row.lang}</span>
                      {row.resend && <span class="small muted"> ({m.copy})</span>}
                      {row.subject && <span class="admin-block small muted admin-wrap admin-mail-subject">{row.subject}</span>}
                      {row.order_id && (
                        <a class="admin-block small" href={`/admin/orders/${encodeURIComponent(row.order_id)}`}>
                          {row.order_id}
                        </a>
                      )}
                    </th>
                    <td data-label={m.status}>
                      <MailStatus row={row} />
                    </td>
                    <td class="admin-wrap" data-label={m.colTo}>
                      {row.to}
                    </td>
                    <td class="admin-date" data-label={m.colQueued}>
                      {dateTime(row.created_at, lang)}
                    </td>
                    <td class="admin-date" data-label={m.colSent}>
                      {row.sent_at
                        ? dateTime(row.sent_at, lang)
                        : row.next_attempt_at && row.status === 'pending'
                          ? fmt(m.next, { time: dateTime(row.next_attempt_at, lang) })
                          : '—'}
                    </td>
                    <td class="num" data-label={m.colAttempts}>
                      {row.attempts}
                    </td>
                    <td class="admin-wrap" data-label={m.answer}>
                      {row.smtp_response ? <code class="admin-wrap">{row.smtp_response}</code> : '—'}
                    </td>
                    <td class="admin-mail-action">
                      {info?.enabled && row.status !== 'sending' && (
                        <button
                          type="button"
                          class="btn btn-small"
                          data-resend={row.id}
                          disabled={resend.busy}
                          onClick={() => void resend.run((api) => api.resendMail(row.id), () => m.queued).then((r) => r && list.reload())}
                        >
                          {row.status === 'sent' ? m.resend : m.retry}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </PagedList>
    </>
  );
}
